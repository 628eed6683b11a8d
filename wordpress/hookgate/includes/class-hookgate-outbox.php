<?php
/**
 * The outbox: WordPress events wait here, already encoded, until the
 * gateway has accepted them. A row is written in the request that caused
 * the event, so a gateway outage or a slow network never loses one.
 *
 * @package Hookgate
 */

defined( 'ABSPATH' ) || exit;

/**
 * A durable queue over Hookgate_Schema::outbox_table().
 *
 * The table name comes from $wpdb->prefix, never from input; it is
 * interpolated because %i placeholders need WordPress 6.2.
 *
 * phpcs:disable WordPress.DB.PreparedSQL.InterpolatedNotPrepared
 * phpcs:disable WordPress.DB.DirectDatabaseQuery
 */
final class Hookgate_Outbox {

	/**
	 * After this many failed attempts a row stops being retried and waits
	 * for the admin (Hookgate_Outbox::retry_failed()).
	 */
	const MAX_ATTEMPTS = 15;

	/**
	 * The backoff's first ceiling, in seconds; it doubles with each attempt.
	 */
	const BACKOFF_BASE = 30;

	/**
	 * The backoff's largest ceiling, in seconds.
	 */
	const BACKOFF_CAP = 3600;

	/**
	 * The shortest delay, so a row that drew 0 from the jitter is not
	 * retried in the same cron run.
	 */
	const BACKOFF_MIN = 10;

	/**
	 * The longest error text kept per row.
	 */
	const ERROR_LENGTH = 1000;

	/**
	 * Queues one business event. Its id is drawn here, once: every retry
	 * sends the same id, which is how the gateway recognises a duplicate.
	 *
	 * @param string $type    The event type, e.g. "post.published".
	 * @param array  $payload The event's fields.
	 * @return int|false The row id, or false when it could not be stored.
	 */
	public static function add( $type, array $payload ) {
		global $wpdb;
		$event_id = wp_generate_uuid4();
		// The + keeps these four fields first and out of the caller's reach.
		$body = array(
			'id'        => $event_id,
			'event'     => (string) $type,
			'timestamp' => time(),
			'site'      => home_url(),
		) + $payload;
		$json = wp_json_encode( $body );
		if ( false === $json ) {
			return false;
		}
		$now      = self::now();
		$inserted = $wpdb->insert(
			Hookgate_Schema::outbox_table(),
			array(
				'event_id'        => $event_id,
				'event_type'      => substr( (string) $type, 0, 64 ),
				'payload'         => $json,
				'status'          => 'pending',
				'attempts'        => 0,
				'next_attempt_at' => $now,
				'last_status'     => 0,
				'created_at'      => $now,
				'updated_at'      => $now,
			),
			array( '%s', '%s', '%s', '%s', '%d', '%s', '%d', '%s', '%s' )
		);
		return false === $inserted ? false : (int) $wpdb->insert_id;
	}

	/**
	 * One row by id.
	 *
	 * @param int $id The row id.
	 * @return object|null The row, or null when it is gone (already sent).
	 */
	public static function get( $id ) {
		global $wpdb;
		$table = Hookgate_Schema::outbox_table();
		return $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$table} WHERE id = %d", absint( $id ) ) );
	}

	/**
	 * The pending rows whose time has come, oldest event first, so the
	 * gateway sees events roughly in the order they happened.
	 *
	 * @param int $limit How many rows at most.
	 * @return object[]
	 */
	public static function due( $limit ) {
		global $wpdb;
		$table = Hookgate_Schema::outbox_table();
		return (array) $wpdb->get_results(
			$wpdb->prepare(
				"SELECT * FROM {$table} WHERE status = %s AND next_attempt_at <= %s ORDER BY id ASC LIMIT %d",
				'pending',
				self::now(),
				self::limit( $limit )
			)
		);
	}

	/**
	 * Takes a due row for one send: moves its next attempt a minute ahead
	 * if it is still due, so a concurrent sender skips it. A crash
	 * mid-send leaves the row due again a minute later.
	 *
	 * @param int $id The row id.
	 * @return bool Whether this request may send the row.
	 */
	public static function lease( $id ) {
		global $wpdb;
		$table = Hookgate_Schema::outbox_table();
		$now   = self::now();
		$taken = $wpdb->query(
			$wpdb->prepare(
				"UPDATE {$table} SET next_attempt_at = %s WHERE id = %d AND status = %s AND next_attempt_at <= %s",
				gmdate( 'Y-m-d H:i:s', time() + MINUTE_IN_SECONDS ),
				absint( $id ),
				'pending',
				$now
			)
		);
		return 1 === $taken;
	}

	/**
	 * The gateway has the event: the row is done.
	 *
	 * @param int $id The row id.
	 * @return bool Whether a row was deleted.
	 */
	public static function sent( $id ) {
		global $wpdb;
		return (bool) $wpdb->delete( Hookgate_Schema::outbox_table(), array( 'id' => absint( $id ) ), array( '%d' ) );
	}

	/**
	 * Records a failed attempt and either schedules the next one or, after
	 * MAX_ATTEMPTS, parks the row as failed for the admin to see.
	 *
	 * @param int    $id     The row id.
	 * @param int    $status The HTTP status, 0 when no response came back.
	 * @param string $error  What went wrong; must not hold a secret.
	 * @return bool Whether the row was updated (false when it is gone).
	 */
	public static function failed( $id, $status, $error ) {
		global $wpdb;
		$table    = Hookgate_Schema::outbox_table();
		$attempts = $wpdb->get_var( $wpdb->prepare( "SELECT attempts FROM {$table} WHERE id = %d", absint( $id ) ) );
		if ( null === $attempts ) {
			return false;
		}
		$attempts = (int) $attempts + 1;
		$now      = time();
		$fields   = array(
			'attempts'    => $attempts,
			'last_status' => max( 0, (int) $status ),
			'last_error'  => mb_substr( (string) $error, 0, self::ERROR_LENGTH ),
			'updated_at'  => gmdate( 'Y-m-d H:i:s', $now ),
		);
		if ( $attempts >= self::MAX_ATTEMPTS ) {
			$fields['status'] = 'failed';
		} else {
			$fields['next_attempt_at'] = gmdate( 'Y-m-d H:i:s', $now + self::backoff( $attempts ) );
		}
		$formats = array();
		foreach ( $fields as $name => $value ) {
			$formats[] = is_int( $value ) ? '%d' : '%s';
		}
		return false !== $wpdb->update( $table, $fields, array( 'id' => absint( $id ) ), $formats, array( '%d' ) );
	}

	/**
	 * The delay before the next attempt: exponential with full jitter, so
	 * the rows that failed together during an outage do not all come back
	 * at the same second.
	 *
	 * @param int $attempts The attempts made so far, 1 or more.
	 * @return int Seconds.
	 */
	public static function backoff( $attempts ) {
		// The exponent stops at 20: far past the cap, and 2 ** n stays an int.
		$exponent = min( max( 1, (int) $attempts ) - 1, 20 );
		$ceiling  = min( self::BACKOFF_CAP, self::BACKOFF_BASE * ( 2 ** $exponent ) );
		return max( self::BACKOFF_MIN, random_int( 0, $ceiling ) );
	}

	/**
	 * How many rows are pending and how many failed for good.
	 *
	 * @return array{pending: int, failed: int}
	 */
	public static function counts() {
		global $wpdb;
		$table  = Hookgate_Schema::outbox_table();
		$counts = array(
			'pending' => 0,
			'failed'  => 0,
		);
		$rows   = $wpdb->get_results(
			$wpdb->prepare(
				"SELECT status, COUNT(*) AS n FROM {$table} WHERE status IN (%s, %s) GROUP BY status",
				'pending',
				'failed'
			)
		);
		foreach ( (array) $rows as $row ) {
			$counts[ $row->status ] = (int) $row->n;
		}
		return $counts;
	}

	/**
	 * The newest rows, without their payloads, for the admin page.
	 *
	 * @param int $limit How many rows at most.
	 * @return object[]
	 */
	public static function recent( $limit ) {
		global $wpdb;
		$table = Hookgate_Schema::outbox_table();
		return (array) $wpdb->get_results(
			$wpdb->prepare(
				"SELECT id, event_id, event_type, status, attempts, next_attempt_at, last_status, last_error, created_at FROM {$table} ORDER BY id DESC LIMIT %d",
				self::limit( $limit )
			)
		);
	}

	/**
	 * Gives every failed row a fresh set of attempts, due now. The event ids
	 * stay, so a row the gateway did take after all is answered as a
	 * duplicate rather than stored twice.
	 *
	 * @return int How many rows were reset.
	 */
	public static function retry_failed() {
		global $wpdb;
		$table = Hookgate_Schema::outbox_table();
		$now   = self::now();
		return (int) $wpdb->query(
			$wpdb->prepare(
				"UPDATE {$table} SET status = %s, attempts = 0, next_attempt_at = %s, updated_at = %s WHERE status = %s",
				'pending',
				$now,
				$now,
				'failed'
			)
		);
	}

	/**
	 * The current UTC time in the table's format.
	 *
	 * @return string
	 */
	private static function now() {
		return gmdate( 'Y-m-d H:i:s' );
	}

	/**
	 * A LIMIT between 1 and 500, whatever the caller passed.
	 *
	 * @param mixed $limit The requested limit.
	 * @return int
	 */
	private static function limit( $limit ) {
		return min( 500, max( 1, absint( $limit ) ) );
	}
}
