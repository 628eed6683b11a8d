<?php
/**
 * The sending side: turns WordPress events into outbox rows and posts them,
 * signed, to the gateway's `webhook wordpress` route.
 *
 * @package Hookgate
 */

defined( 'ABSPATH' ) || exit;

/**
 * Queues WordPress events and delivers the outbox.
 */
final class Hookgate_Sender {

	const RETRY_HOOK = 'hookgate_send_outbox';

	/** What send_row() did with a row. */
	const SENT    = 'sent';
	const FAILED  = 'failed';
	const SKIPPED = 'skipped';

	/** The custom cron interval the retry runs on. */
	const SCHEDULE = 'hookgate_minute';

	/** Rows one cron run sends at most. */
	const BATCH = 50;

	/** Rows sent at the end of their request; a bulk import leaves the rest to cron. */
	const INLINE_LIMIT = 10;

	/** Failures in a row that end a cron run: the gateway is likely down, and each row would wait out its timeout. */
	const MAX_CONSECUTIVE_FAILURES = 3;

	/**
	 * The outbox rows queued during this request.
	 *
	 * @var int[]
	 */
	private static $queued = array();

	/**
	 * Registers the cron interval, the retry and the WordPress event hooks.
	 */
	public static function init() {
		add_filter( 'cron_schedules', array( __CLASS__, 'cron_schedules' ) );
		add_action( self::RETRY_HOOK, array( __CLASS__, 'send_due' ) );
		add_action( 'wp_insert_comment', array( __CLASS__, 'on_comment' ), 10, 2 );
		add_action( 'user_register', array( __CLASS__, 'on_user_register' ), 10, 1 );
		add_action( 'transition_post_status', array( __CLASS__, 'on_post_status' ), 10, 3 );
		// Hooked even before WooCommerce loads (it loads after Hookgate);
		// without it the action never fires.
		add_action( 'woocommerce_new_order', array( __CLASS__, 'on_new_order' ), 10, 2 );
	}

	/**
	 * Adds the one-minute interval the outbox retry runs on.
	 *
	 * @param array $schedules The known intervals.
	 * @return array
	 */
	public static function cron_schedules( $schedules ) {
		$schedules[ self::SCHEDULE ] = array(
			'interval' => MINUTE_IN_SECONDS,
			'display'  => __( 'Every minute (Hookgate)', 'hookgate' ),
		);
		return $schedules;
	}

	/**
	 * Schedules the outbox retry, once.
	 */
	public static function schedule() {
		if ( ! wp_next_scheduled( self::RETRY_HOOK ) ) {
			wp_schedule_event( time() + MINUTE_IN_SECONDS, self::SCHEDULE, self::RETRY_HOOK );
		}
	}

	/**
	 * Queues comment.created.
	 *
	 * @param int        $comment_id The comment's id.
	 * @param WP_Comment $comment    The comment.
	 */
	public static function on_comment( $comment_id, $comment ) {
		if ( ! Hookgate_Settings::sends( 'comment.created' ) || ! $comment instanceof WP_Comment ) {
			return;
		}
		// WooCommerce order notes and similar bookkeeping are stored as
		// comments on non-public post types; they are not visitor comments
		// and may hold private order details.
		$post = get_post( (int) $comment->comment_post_ID );
		if ( ! $post || ! is_post_type_viewable( $post->post_type ) ) {
			return;
		}
		$approved = (string) $comment->comment_approved;
		self::queue(
			'comment.created',
			array(
				'comment_id'  => (int) $comment_id,
				'post_id'     => (int) $post->ID,
				'status'      => array(
					'1'    => 'approved',
					'spam' => 'spam',
				)[ $approved ] ?? 'hold',
				'actor'       => self::actor( (int) $comment->user_id, $comment->comment_author_email ),
				'author_name' => (string) $comment->comment_author,
				'content'     => (string) $comment->comment_content,
			)
		);
	}

	/**
	 * Queues user.registered.
	 *
	 * @param int $user_id The new user's id.
	 */
	public static function on_user_register( $user_id ) {
		if ( ! Hookgate_Settings::sends( 'user.registered' ) ) {
			return;
		}
		$user = get_userdata( (int) $user_id );
		if ( ! $user ) {
			return;
		}
		self::queue(
			'user.registered',
			array(
				'user_id'      => (int) $user->ID,
				'actor'        => self::actor( (int) $user->ID, $user->user_email ),
				'login'        => (string) $user->user_login,
				'display_name' => (string) $user->display_name,
				'roles'        => array_values( (array) $user->roles ),
			)
		);
	}

	/**
	 * Queues post.published on a post's first move into "publish" (an
	 * update of a published post is no new publication).
	 *
	 * @param string  $new_status The new status.
	 * @param string  $old_status The previous status.
	 * @param WP_Post $post       The post.
	 */
	public static function on_post_status( $new_status, $old_status, $post ) {
		if ( 'publish' !== $new_status || 'publish' === $old_status || ! $post instanceof WP_Post
			|| wp_is_post_revision( $post ) || wp_is_post_autosave( $post )
			|| ! is_post_type_viewable( $post->post_type ) || ! Hookgate_Settings::sends( 'post.published' ) ) {
			return;
		}
		$author = get_userdata( (int) $post->post_author );
		$fields = array(
			'post_id'   => (int) $post->ID,
			'post_type' => (string) $post->post_type,
			'title'     => (string) $post->post_title,
			'permalink' => (string) get_permalink( $post ),
		);
		if ( $author ) {
			$fields['actor'] = self::actor( (int) $author->ID, $author->user_email );
		}
		self::queue( 'post.published', $fields );
	}

	/**
	 * Queues order.created.
	 *
	 * @param int           $order_id The order's id.
	 * @param WC_Order|null $order    The order (WooCommerce 5.x and later pass it).
	 */
	public static function on_new_order( $order_id, $order = null ) {
		if ( ! class_exists( 'WooCommerce' ) || ! Hookgate_Settings::sends( 'order.created' ) ) {
			return;
		}
		$order = $order instanceof WC_Order ? $order : wc_get_order( $order_id );
		if ( ! $order instanceof WC_Order ) {
			return;
		}
		self::queue(
			'order.created',
			array(
				'order_id' => (int) $order->get_id(),
				'status'   => (string) $order->get_status(),
				'total'    => (string) $order->get_total(),
				'currency' => (string) $order->get_currency(),
				'actor'    => self::actor( (int) $order->get_customer_id(), $order->get_billing_email() ),
			)
		);
	}

	/**
	 * The shutdown callback: finishes the visitor's response first, then
	 * sends what this request queued. Rows it does not get to (past the
	 * limit, or after a failure) are left to cron.
	 */
	public static function send_queued() {
		if ( function_exists( 'fastcgi_finish_request' ) ) {
			fastcgi_finish_request();
		} elseif ( function_exists( 'litespeed_finish_request' ) ) {
			litespeed_finish_request();
		}
		// The response is complete; a visitor who leaves must not cut the
		// sending short.
		ignore_user_abort( true );
		$ids          = array_slice( self::$queued, 0, self::INLINE_LIMIT );
		self::$queued = array();
		foreach ( $ids as $id ) {
			$row = Hookgate_Outbox::get( $id );
			// Gone or parked: cron may have sent it meanwhile.
			if ( ! $row || 'pending' !== $row->status ) {
				continue;
			}
			$sent = self::send_row( $row );
			if ( self::FAILED === $sent ) {
				break;
			}
		}
	}

	/**
	 * The cron callback: sends the rows that are due.
	 */
	public static function send_due() {
		if ( ! Hookgate_Settings::sending_enabled() ) {
			return;
		}
		$failures = 0;
		foreach ( Hookgate_Outbox::due( self::BATCH ) as $row ) {
			$sent = self::send_row( $row );
			if ( self::SKIPPED === $sent ) {
				continue;
			}
			$failures = self::SENT === $sent ? 0 : $failures + 1;
			if ( $failures >= self::MAX_CONSECUTIVE_FAILURES ) {
				break;
			}
		}
	}

	/**
	 * Posts one outbox row to the gateway, signed afresh (the gateway holds
	 * timestamps to five minutes, and a retry can come hours later), and
	 * records the outcome.
	 *
	 * @param object|array $row An outbox row.
	 * @return string SENT when the gateway took the event (accepted or
	 *                duplicate), FAILED, or SKIPPED when another sender holds it.
	 */
	public static function send_row( $row ) {
		$row    = (object) $row;
		$url    = Hookgate_Settings::gateway_url();
		$secret = Hookgate_Settings::send_secret();
		if ( empty( $row->id ) || '' === $url || '' === $secret ) {
			return self::SKIPPED;
		}
		// Whoever leases the row sends it: the inline send and a WP-Cron
		// run may both see it due.
		if ( ! Hookgate_Outbox::lease( $row->id ) ) {
			return self::SKIPPED;
		}
		$body      = (string) $row->payload;
		$timestamp = (string) time();
		$response  = wp_remote_post(
			$url,
			array(
				'timeout'     => 3,
				'redirection' => 0,
				'user-agent'  => 'Hookgate-WordPress/' . HOOKGATE_VERSION,
				'headers'     => array(
					'Content-Type'   => 'application/json',
					'X-Event-Id'     => (string) $row->event_id,
					'X-WP-Timestamp' => $timestamp,
					'X-WP-Signature' => Hookgate_Signature::sign_wordpress( $secret, $timestamp, $body ),
				),
				'body'        => $body,
			)
		);
		if ( is_wp_error( $response ) ) {
			Hookgate_Outbox::failed( $row->id, 0, self::redact( $response->get_error_message(), $url, $secret ) );
			return self::FAILED;
		}
		$code = (int) wp_remote_retrieve_response_code( $response );
		if ( self::taken( $code, wp_remote_retrieve_body( $response ), (string) $row->event_id ) ) {
			Hookgate_Outbox::sent( $row->id );
			return self::SENT;
		}
		Hookgate_Outbox::failed( $row->id, $code, self::redact( self::http_error( $code, $response ), $url, $secret ) );
		return self::FAILED;
	}

	/**
	 * Whether the gateway's answer says it stored the event: 202 accepted
	 * or 200 duplicate, naming this event. Any other 2xx (a URL that falls
	 * through to a web page, a proxy's catch-all) keeps the row.
	 *
	 * @param int    $code     The HTTP status.
	 * @param string $body     The answer's body.
	 * @param string $event_id The event id sent as X-Event-Id.
	 * @return bool
	 */
	private static function taken( $code, $body, $event_id ) {
		$reply = json_decode( (string) $body, true );
		if ( ! is_array( $reply ) || ! isset( $reply['status'], $reply['id'] ) || $reply['id'] !== $event_id ) {
			return false;
		}
		return ( 202 === $code && 'accepted' === $reply['status'] ) || ( 200 === $code && 'duplicate' === $reply['status'] );
	}

	/**
	 * Adds a row to the outbox and, the first time in a request, arranges
	 * for it to be sent once the response is out.
	 *
	 * @param string $type    The event type.
	 * @param array  $payload The event's fields.
	 */
	private static function queue( $type, array $payload ) {
		$id = Hookgate_Outbox::add( $type, $payload );
		if ( false === $id ) {
			return;
		}
		if ( empty( self::$queued ) && ! has_action( 'shutdown', array( __CLASS__, 'send_queued' ) ) ) {
			// Late, so other shutdown work that writes output runs before
			// the response is closed.
			add_action( 'shutdown', array( __CLASS__, 'send_queued' ), 100 );
		}
		self::$queued[] = $id;
	}

	/**
	 * The actor object the gateway's normalizer reads; a guest has no id.
	 *
	 * @param int    $id    The user id, 0 for a guest.
	 * @param string $email The email address.
	 * @return array|stdClass
	 */
	private static function actor( $id, $email ) {
		$actor = array();
		if ( $id > 0 ) {
			$actor['id'] = $id;
		}
		if ( '' !== (string) $email ) {
			$actor['email'] = (string) $email;
		}
		// An empty PHP array would encode as [], which is not an object.
		return empty( $actor ) ? (object) array() : $actor;
	}

	/**
	 * "HTTP <code>", with the gateway's own error text when it gave one;
	 * the gateway never puts a secret or an expected signature in it.
	 *
	 * @param int   $code     The HTTP status.
	 * @param array $response The wp_remote_post() response.
	 * @return string
	 */
	private static function http_error( $code, $response ) {
		$error   = 'HTTP ' . $code;
		$decoded = json_decode( (string) wp_remote_retrieve_body( $response ), true );
		if ( is_array( $decoded ) && isset( $decoded['error'] ) && is_string( $decoded['error'] ) ) {
			$error .= ': ' . sanitize_text_field( mb_substr( $decoded['error'], 0, 200 ) );
		}
		return $error;
	}

	/**
	 * Keeps the secret and the gateway URL (which may carry credentials or
	 * a token) out of a stored error message.
	 *
	 * @param string $message The message.
	 * @param string $url     The gateway URL.
	 * @param string $secret  The send secret.
	 * @return string
	 */
	private static function redact( $message, $url, $secret ) {
		return str_replace( array( $secret, $url ), array( '[secret]', '[gateway]' ), (string) $message );
	}
}
