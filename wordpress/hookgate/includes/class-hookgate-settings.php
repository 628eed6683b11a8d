<?php
/**
 * Where each setting comes from: a wp-config.php constant wins over the
 * option saved on Settings → Hookgate, so secrets can stay out of the
 * database.
 *
 * @package Hookgate
 */

defined( 'ABSPATH' ) || exit;

/**
 * Read-only access to Hookgate's configuration.
 */
final class Hookgate_Settings {

	const OPTION_RECEIVE_SECRET = 'hookgate_receive_secret';
	const OPTION_SEND_SECRET    = 'hookgate_send_secret';
	const OPTION_GATEWAY_URL    = 'hookgate_gateway_url';
	const OPTION_SEND_ENABLED   = 'hookgate_send_enabled';
	const OPTION_SEND_EVENTS    = 'hookgate_send_events';
	const OPTION_USER_SYNC      = 'hookgate_user_sync';

	/**
	 * The events the sender side can sign, with their labels.
	 *
	 * @return array<string, string>
	 */
	public static function sendable_events() {
		return array(
			'comment.created' => __( 'Comment created', 'hookgate' ),
			'user.registered' => __( 'User registered', 'hookgate' ),
			'post.published'  => __( 'Post published', 'hookgate' ),
			'order.created'   => __( 'WooCommerce order created', 'hookgate' ),
		);
	}

	/**
	 * The Standard Webhooks secrets (whsec_…) relayed deliveries are checked
	 * against. HOOKGATE_SECRET may list several, separated by spaces, while
	 * the relay's secret is being rotated.
	 *
	 * @return string[]
	 */
	public static function receive_secrets() {
		$value = self::value( 'HOOKGATE_SECRET', self::OPTION_RECEIVE_SECRET );
		return array_values( array_filter( preg_split( '/\s+/', $value ) ) );
	}

	/**
	 * The shared secret WordPress events are signed with (the gateway's
	 * `webhook wordpress` secret).
	 *
	 * @return string
	 */
	public static function send_secret() {
		return self::value( 'HOOKGATE_SEND_SECRET', self::OPTION_SEND_SECRET );
	}

	/**
	 * The gateway URL WordPress events are posted to.
	 *
	 * @return string
	 */
	public static function gateway_url() {
		return self::value( 'HOOKGATE_GATEWAY_URL', self::OPTION_GATEWAY_URL );
	}

	/**
	 * Whether WordPress events are signed and sent at all.
	 *
	 * @return bool
	 */
	public static function sending_enabled() {
		return (bool) get_option( self::OPTION_SEND_ENABLED, false )
			&& '' !== self::send_secret() && '' !== self::gateway_url();
	}

	/**
	 * Whether one event type is sent.
	 *
	 * @param string $type An event type from sendable_events().
	 * @return bool
	 */
	public static function sends( $type ) {
		$events = get_option( self::OPTION_SEND_EVENTS, array() );
		return self::sending_enabled() && is_array( $events ) && in_array( $type, $events, true );
	}

	/**
	 * Whether the built-in user-sync handler runs.
	 *
	 * @return bool
	 */
	public static function user_sync_enabled() {
		return (bool) get_option( self::OPTION_USER_SYNC, false );
	}

	/**
	 * Whether a setting is fixed by a wp-config.php constant.
	 *
	 * @param string $constant The constant's name.
	 * @return bool
	 */
	public static function from_constant( $constant ) {
		return defined( $constant ) && '' !== (string) constant( $constant );
	}

	/**
	 * A setting's value: the constant when defined, else the option.
	 *
	 * @param string $constant The constant's name.
	 * @param string $option   The option's name.
	 * @return string
	 */
	private static function value( $constant, $option ) {
		if ( self::from_constant( $constant ) ) {
			return trim( (string) constant( $constant ) );
		}
		return trim( (string) get_option( $option, '' ) );
	}
}
