<?php
/**
 * The REST endpoint the Hookgate relay delivers to:
 * POST /wp-json/hookgate/v1/events, and any per-type route a relay `route`
 * line targets (/wp-json/hookgate/v1/user-sync, /order-event, …).
 *
 * Order of work: signature and timestamp (401), envelope (400), claim in
 * the dedupe store (200 duplicate), handlers (500 when one throws, so the
 * relay retries), 200.
 *
 * @package Hookgate
 */

defined( 'ABSPATH' ) || exit;

/**
 * Verifies, dedupes and dispatches relayed events.
 */
final class Hookgate_Receiver {

	const REST_NAMESPACE = 'hookgate/v1';

	/**
	 * The claim whose handlers are running, null when none.
	 *
	 * @var array|null
	 */
	private static $open_claim = null;

	/**
	 * Registers the delivery routes.
	 */
	public static function register_routes() {
		register_shutdown_function( array( __CLASS__, 'abandoned' ) );
		register_rest_route(
			self::REST_NAMESPACE,
			'/(?P<route>[a-z0-9][a-z0-9-]{0,63})',
			array(
				'methods'             => 'POST',
				'callback'            => array( __CLASS__, 'receive' ),
				// The Standard Webhooks signature is the authentication; it
				// is checked in receive() over the exact body.
				'permission_callback' => '__return_true',
			)
		);
	}

	/**
	 * Handles one delivery.
	 *
	 * @param WP_REST_Request $request The delivery.
	 * @return WP_REST_Response
	 */
	public static function receive( WP_REST_Request $request ) {
		$secrets = Hookgate_Settings::receive_secrets();
		if ( empty( $secrets ) ) {
			// 503, not 401: the relay keeps the event and retries until
			// the site is configured.
			return self::reply( 503, array( 'error' => 'no receiving secret is configured (HOOKGATE_SECRET)' ), 60 );
		}
		$body     = $request->get_body();
		$id       = (string) $request->get_header( 'webhook-id' );
		$verified = Hookgate_Signature::verify_standard(
			$secrets,
			$id,
			(string) $request->get_header( 'webhook-timestamp' ),
			(string) $request->get_header( 'webhook-signature' ),
			$body
		);
		if ( is_wp_error( $verified ) ) {
			return self::error( $verified );
		}
		// webhook-id is signed and Idempotency-Key is not: dedupe on the
		// signed one, and refuse a request where they disagree.
		$idempotency = $request->get_header( 'idempotency-key' );
		if ( null !== $idempotency && $idempotency !== $id ) {
			return self::reply( 400, array( 'error' => 'Idempotency-Key differs from webhook-id' ) );
		}
		$event = Hookgate_Envelope::decode( $body );
		if ( is_wp_error( $event ) ) {
			return self::error( $event );
		}
		$route = (string) $request->get_param( 'route' );
		// A route with no handler (a typo in a relay `route` line, a
		// handler switched off or deactivated) is not a 2xx: the relay
		// dead-letters the event, to be replayed once it is fixed.
		if ( 'events' !== $route && ! has_action( "hookgate_route_{$route}" ) ) {
			return self::reply( 404, array( 'error' => "no handler for the route \"{$route}\" (hook hookgate_route_{$route})" ) );
		}

		$claim = Hookgate_Inbox::claim( $id, $route, $event );
		if ( is_wp_error( $claim ) ) {
			return self::error( $claim, 5 );
		}
		if ( 'duplicate' === $claim['claim'] ) {
			return self::reply(
				200,
				array(
					'status' => 'duplicate',
					'id'     => $id,
				)
			);
		}
		if ( 'busy' === $claim['claim'] ) {
			return self::reply( 503, array( 'error' => 'another delivery of this event is being processed' ), $claim['retry_after'] );
		}

		self::$open_claim = $claim;
		try {
			/**
			 * Fires for every relayed event, once per idempotency key.
			 *
			 * @param array  $event The canonical envelope.
			 * @param string $route The route it was delivered to.
			 */
			do_action( 'hookgate_event', $event, $route );
			do_action( Hookgate_Envelope::action_name( $event ), $event, $route );
			do_action( "hookgate_route_{$route}", $event );
		} catch ( Throwable $e ) {
			self::$open_claim = null;
			// The message may hold details of the site; it goes to the
			// settings page and the PHP log, the relay gets only the class.
			Hookgate_Inbox::fail( $claim, get_class( $e ) . ': ' . $e->getMessage() );
			// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log -- operators need the failure in the PHP log.
			error_log( sprintf( 'hookgate: handler failed for event %s: %s: %s', $id, get_class( $e ), $e->getMessage() ) );
			return self::reply( 500, array( 'error' => 'an event handler failed (' . get_class( $e ) . '); the relay will retry' ) );
		}
		self::$open_claim = null;
		if ( ! Hookgate_Inbox::finish( $claim ) ) {
			// The handlers ran but the key is not recorded as done: a retry
			// re-runs them once the row goes stale. Saying so beats a 200.
			return self::reply( 503, array( 'error' => 'the dedupe store is unavailable' ), 5 );
		}
		return self::reply(
			200,
			array(
				'status' => 'processed',
				'id'     => $id,
			)
		);
	}

	/**
	 * The shutdown guard: a handler that ended the request (a fatal error,
	 * exit, wp_die) never returned, so its row would stay "processing" and
	 * every retry would be told "busy". Marks it failed, so the relay's
	 * next attempt runs the handlers again, and makes the answer a 500
	 * when nothing was sent yet.
	 */
	public static function abandoned() {
		if ( null === self::$open_claim ) {
			return;
		}
		Hookgate_Inbox::fail( self::$open_claim, 'the request ended inside a handler (fatal error or exit)' );
		self::$open_claim = null;
		if ( ! headers_sent() ) {
			status_header( 500 );
		}
	}

	/**
	 * A reply from a WP_Error carrying a status.
	 *
	 * @param WP_Error $error       The error.
	 * @param int      $retry_after Seconds for Retry-After, 0 for none.
	 * @return WP_REST_Response
	 */
	private static function error( WP_Error $error, $retry_after = 0 ) {
		$data = $error->get_error_data();
		return self::reply( (int) $data['status'], array( 'error' => $error->get_error_message() ), $retry_after );
	}

	/**
	 * A JSON reply in the gateway's shape.
	 *
	 * @param int   $status      HTTP status.
	 * @param array $body        The JSON body.
	 * @param int   $retry_after Seconds for Retry-After, 0 for none.
	 * @return WP_REST_Response
	 */
	private static function reply( $status, array $body, $retry_after = 0 ) {
		$response = new WP_REST_Response( $body, $status );
		if ( $retry_after > 0 ) {
			$response->header( 'Retry-After', (string) $retry_after );
		}
		return $response;
	}
}
