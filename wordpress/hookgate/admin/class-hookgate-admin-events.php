<?php
/**
 * The lower half of Settings → Hookgate: the last deliveries in both
 * directions, and the action that queues failed outgoing events again.
 *
 * @package Hookgate
 */

defined( 'ABSPATH' ) || exit;

/**
 * The inbox and outbox tables and the retry action.
 */
final class Hookgate_Admin_Events {

	/**
	 * The notice left by the retry action's redirect.
	 */
	public static function render_retry_notice() {
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- only chooses which notice to show.
		$result = isset( $_GET['hookgate_retried'] ) ? sanitize_key( wp_unslash( $_GET['hookgate_retried'] ) ) : '';
		if ( '' !== $result && ctype_digit( $result ) ) {
			/* translators: %d: how many failed events were queued again. */
			$message = sprintf( _n( '%d failed event was queued for another attempt.', '%d failed events were queued for another attempt.', (int) $result, 'hookgate' ), (int) $result );
			echo '<div class="notice notice-success is-dismissible"><p>' . esc_html( $message ) . '</p></div>';
		}
	}

	/**
	 * The last received events, if the inbox can list them.
	 */
	public static function render_inbox() {
		echo '<h2>' . esc_html__( 'Last received events', 'hookgate' ) . '</h2>';
		$rows = Hookgate_Inbox::recent( 50 );
		$cols = array(
			'received_at'     => __( 'Received', 'hookgate' ),
			'route'           => __( 'Route', 'hookgate' ),
			'source'          => __( 'Source', 'hookgate' ),
			'event_type'      => __( 'Event type', 'hookgate' ),
			'idempotency_key' => __( 'Idempotency key', 'hookgate' ),
			'status'          => __( 'Status', 'hookgate' ),
			'attempts'        => __( 'Attempts', 'hookgate' ),
			'last_error'      => __( 'Last error', 'hookgate' ),
		);
		self::render_table( $cols, $rows, __( 'No events received yet.', 'hookgate' ) );
	}

	/**
	 * The outbox's counts, its latest events and the retry button.
	 */
	public static function render_outbox() {
		echo '<h2>' . esc_html__( 'Outgoing events', 'hookgate' ) . '</h2>';
		$counts = Hookgate_Outbox::counts();
		/* translators: 1: pending events, 2: failed events. */
		echo '<p>' . esc_html( sprintf( __( 'Pending: %1$d. Failed: %2$d.', 'hookgate' ), (int) $counts['pending'], (int) $counts['failed'] ) ) . '</p>';
		$rows = Hookgate_Outbox::recent( 20 );
		$cols = array(
			'created_at'      => __( 'Created', 'hookgate' ),
			'event_id'        => __( 'Event ID', 'hookgate' ),
			'event_type'      => __( 'Event type', 'hookgate' ),
			'status'          => __( 'Status', 'hookgate' ),
			'attempts'        => __( 'Attempts', 'hookgate' ),
			'next_attempt_at' => __( 'Next attempt', 'hookgate' ),
			'last_status'     => __( 'Last HTTP status', 'hookgate' ),
			'last_error'      => __( 'Last error', 'hookgate' ),
		);
		self::render_table( $cols, $rows, __( 'No outgoing events yet.', 'hookgate' ) );
		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '">';
		echo '<input type="hidden" name="action" value="' . esc_attr( Hookgate_Admin::RETRY_ACTION ) . '" />';
		wp_nonce_field( Hookgate_Admin::RETRY_ACTION, 'hookgate_retry_nonce' );
		submit_button( __( 'Retry failed events', 'hookgate' ), 'secondary', 'hookgate_retry', false );
		echo '</form>';
	}

	/**
	 * Queues failed outgoing events again, then returns to the page.
	 */
	public static function handle_retry() {
		if ( ! current_user_can( Hookgate_Admin::CAPABILITY ) ) {
			wp_die( esc_html__( 'Sorry, you are not allowed to manage Hookgate.', 'hookgate' ), 403 );
		}
		check_admin_referer( Hookgate_Admin::RETRY_ACTION, 'hookgate_retry_nonce' );
		$result = (string) absint( Hookgate_Outbox::retry_failed() );
		wp_safe_redirect( admin_url( 'options-general.php?page=' . Hookgate_Admin::PAGE . '&hookgate_retried=' . $result ) );
		exit;
	}

	/**
	 * A list table of row objects; *_at columns are UTC times shown in the
	 * site's timezone, and every cell is escaped here.
	 *
	 * @param array<string, string> $cols  Property => column heading.
	 * @param mixed                 $rows  Row objects; anything else shows $empty.
	 * @param string                $empty What to say when there are no rows.
	 */
	private static function render_table( $cols, $rows, $empty ) {
		$rows = is_array( $rows ) ? $rows : array();
		echo '<table class="widefat striped"><thead><tr>';
		foreach ( $cols as $col ) {
			echo '<th scope="col">' . esc_html( $col ) . '</th>';
		}
		echo '</tr></thead><tbody>';
		if ( empty( $rows ) ) {
			echo '<tr><td colspan="' . esc_attr( (string) count( $cols ) ) . '">' . esc_html( $empty ) . '</td></tr>';
		}
		foreach ( $rows as $row ) {
			echo '<tr>';
			foreach ( array_keys( $cols ) as $prop ) {
				$cell = is_object( $row ) && isset( $row->$prop ) ? (string) $row->$prop : '';
				if ( '_at' === substr( $prop, -3 ) ) {
					$cell = self::local_time( $cell );
				} elseif ( 'last_status' === $prop && '0' === $cell ) {
					$cell = '';
				}
				echo '<td>' . esc_html( $cell ) . '</td>';
			}
			echo '</tr>';
		}
		echo '</tbody></table>';
	}

	/**
	 * A stored UTC time in the site's timezone and formats.
	 *
	 * @param string $gmt A 'Y-m-d H:i:s' UTC time.
	 * @return string
	 */
	private static function local_time( $gmt ) {
		if ( '' === (string) $gmt || '0000-00-00 00:00:00' === $gmt ) {
			return '—';
		}
		return get_date_from_gmt( $gmt, get_option( 'date_format' ) . ' ' . get_option( 'time_format' ) );
	}
}
