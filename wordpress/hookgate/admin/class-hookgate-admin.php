<?php
/**
 * Settings → Hookgate: where the secrets, the gateway URL and the handlers
 * are set, and where the last deliveries in both directions can be seen.
 *
 * @package Hookgate
 */

defined( 'ABSPATH' ) || exit;

/**
 * The settings page and its Settings API registration; the event tables
 * below the form are Hookgate_Admin_Events.
 */
final class Hookgate_Admin {

	const PAGE         = 'hookgate';
	const GROUP        = 'hookgate';
	const CAPABILITY   = 'manage_options';
	const RETRY_ACTION = 'hookgate_retry_failed';

	/**
	 * Hooks the page, the settings, the retry action and the Plugins link.
	 */
	public static function init() {
		add_action( 'admin_menu', array( __CLASS__, 'add_page' ) );
		add_action( 'admin_init', array( __CLASS__, 'register_settings' ) );
		add_action( 'admin_post_' . self::RETRY_ACTION, array( 'Hookgate_Admin_Events', 'handle_retry' ) );
		add_filter( 'plugin_action_links_' . plugin_basename( HOOKGATE_PLUGIN_FILE ), array( __CLASS__, 'action_links' ) );
	}

	/**
	 * Adds Settings → Hookgate.
	 */
	public static function add_page() {
		add_options_page( __( 'Hookgate', 'hookgate' ), __( 'Hookgate', 'hookgate' ), self::CAPABILITY, self::PAGE, array( __CLASS__, 'render_page' ) );
	}

	/**
	 * Puts a Settings link first among the plugin's links on the Plugins screen.
	 *
	 * @param string[] $links The plugin's action links.
	 * @return string[]
	 */
	public static function action_links( $links ) {
		$url = admin_url( 'options-general.php?page=' . self::PAGE );
		array_unshift( $links, '<a href="' . esc_url( $url ) . '">' . esc_html__( 'Settings', 'hookgate' ) . '</a>' );
		return $links;
	}

	/**
	 * Registers the options, their sanitizers, the sections and the fields.
	 */
	public static function register_settings() {
		$options = array(
			Hookgate_Settings::OPTION_RECEIVE_SECRET => array( 'string', array( __CLASS__, 'sanitize_receive_secret' ), '' ),
			Hookgate_Settings::OPTION_SEND_ENABLED   => array( 'boolean', 'rest_sanitize_boolean', false ),
			Hookgate_Settings::OPTION_GATEWAY_URL    => array( 'string', array( __CLASS__, 'sanitize_gateway_url' ), '' ),
			Hookgate_Settings::OPTION_SEND_SECRET    => array( 'string', array( __CLASS__, 'sanitize_send_secret' ), '' ),
			Hookgate_Settings::OPTION_SEND_EVENTS    => array( 'array', array( __CLASS__, 'sanitize_events' ), array() ),
			Hookgate_Settings::OPTION_USER_SYNC      => array( 'boolean', 'rest_sanitize_boolean', false ),
		);
		foreach ( $options as $option => $spec ) {
			register_setting(
				self::GROUP,
				$option,
				array(
					'type'              => $spec[0],
					'sanitize_callback' => $spec[1],
					'default'           => $spec[2],
					'show_in_rest'      => false,
				)
			);
		}

		add_settings_section( 'hookgate_receiving', __( 'Receiving', 'hookgate' ), array( __CLASS__, 'render_receiving_intro' ), self::PAGE );
		add_settings_section( 'hookgate_sending', __( 'Sending', 'hookgate' ), array( __CLASS__, 'render_sending_intro' ), self::PAGE );
		add_settings_section( 'hookgate_handlers', __( 'Handlers', 'hookgate' ), '__return_false', self::PAGE );

		$user_sync_url = '<code>' . esc_html( rest_url( 'hookgate/v1/user-sync' ) ) . '</code>';
		$fields        = array(
			array( Hookgate_Settings::OPTION_RECEIVE_SECRET, __( 'Relay secret', 'hookgate' ), 'render_secret_field', 'hookgate_receiving', array( 'constant' => 'HOOKGATE_SECRET' ) ),
			array( Hookgate_Settings::OPTION_SEND_ENABLED, __( 'Send events', 'hookgate' ), 'render_checkbox_field', 'hookgate_sending', array( 'label' => esc_html__( 'Sign WordPress events and send them to the gateway', 'hookgate' ) ) ),
			array( Hookgate_Settings::OPTION_GATEWAY_URL, __( 'Gateway URL', 'hookgate' ), 'render_url_field', 'hookgate_sending', array( 'constant' => 'HOOKGATE_GATEWAY_URL' ) ),
			array( Hookgate_Settings::OPTION_SEND_SECRET, __( 'Sending secret', 'hookgate' ), 'render_secret_field', 'hookgate_sending', array( 'constant' => 'HOOKGATE_SEND_SECRET' ) ),
			array( Hookgate_Settings::OPTION_SEND_EVENTS, __( 'Events', 'hookgate' ), 'render_events_field', 'hookgate_sending', array() ),
			/* translators: %s: the user-sync endpoint URL. */
			array( Hookgate_Settings::OPTION_USER_SYNC, __( 'User sync', 'hookgate' ), 'render_checkbox_field', 'hookgate_handlers', array( 'label' => sprintf( esc_html__( 'Create or update users from events sent to %s', 'hookgate' ), $user_sync_url ) ) ),
		);
		foreach ( $fields as $field ) {
			$args           = $field[4];
			$args['option'] = $field[0];
			// Only a rendered input can be a label's target; the events fieldset has its own legend.
			if ( 'render_events_field' !== $field[2] && ! Hookgate_Settings::from_constant( $args['constant'] ?? '' ) ) {
				$args['label_for'] = $field[0];
			}
			add_settings_field( $field[0], $field[1], array( __CLASS__, $field[2] ), self::PAGE, $field[3], $args );
		}
	}

	/**
	 * Keeps the relay secret unless a valid replacement or a clear was sent.
	 *
	 * @param mixed $value The submitted value.
	 * @return string
	 */
	public static function sanitize_receive_secret( $value ) {
		return self::sanitize_secret( $value, Hookgate_Settings::OPTION_RECEIVE_SECRET, true );
	}

	/**
	 * Keeps the sending secret unless a replacement or a clear was sent.
	 *
	 * @param mixed $value The submitted value.
	 * @return string
	 */
	public static function sanitize_send_secret( $value ) {
		return self::sanitize_secret( $value, Hookgate_Settings::OPTION_SEND_SECRET, false );
	}

	/**
	 * Keeps only the event types the sender knows.
	 *
	 * @param mixed $value The submitted value.
	 * @return string[]
	 */
	public static function sanitize_events( $value ) {
		$known = array_keys( Hookgate_Settings::sendable_events() );
		return is_array( $value ) ? array_values( array_intersect( $known, array_map( 'strval', $value ) ) ) : array();
	}

	/**
	 * An http(s) URL, or empty; an invalid one keeps the previous value.
	 *
	 * @param mixed $value The submitted value.
	 * @return string
	 */
	public static function sanitize_gateway_url( $value ) {
		$old = (string) get_option( Hookgate_Settings::OPTION_GATEWAY_URL, '' );
		// The field is absent while HOOKGATE_GATEWAY_URL fixes it; absent is not "cleared".
		if ( null === $value || is_array( $value ) ) {
			return $old;
		}
		$value = trim( (string) $value );
		if ( '' === $value ) {
			return '';
		}
		$url = esc_url_raw( $value, array( 'http', 'https' ) );
		if ( '' === $url || '' === (string) wp_parse_url( $url, PHP_URL_HOST ) ) {
			add_settings_error( Hookgate_Settings::OPTION_GATEWAY_URL, 'hookgate_gateway_url', __( 'The gateway URL must be an http:// or https:// URL. The previous URL was kept.', 'hookgate' ) );
			return $old;
		}
		return $url;
	}

	/**
	 * Shared handling of both secrets. The input is always rendered empty, so
	 * an empty submission means "unchanged", and only the clear checkbox
	 * (the <option>_clear field) removes a secret. Errors never quote what
	 * was typed.
	 *
	 * @param mixed  $value    The submitted value.
	 * @param string $option   The option's name.
	 * @param bool   $standard Whether entries must be whsec_ secrets.
	 * @return string
	 */
	private static function sanitize_secret( $value, $option, $standard ) {
		$old = (string) get_option( $option, '' );
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- options.php has checked the nonce.
		if ( ! empty( $_POST[ $option . '_clear' ] ) ) {
			return '';
		}
		$value = is_string( $value ) ? trim( $value ) : '';
		if ( '' === $value ) {
			return $old;
		}
		if ( ! $standard ) {
			return $value;
		}
		$entries = preg_split( '/\s+/', $value );
		foreach ( $entries as $entry ) {
			$key = 0 === strpos( $entry, 'whsec_' ) ? base64_decode( substr( $entry, 6 ), true ) : false; // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_decode -- whsec_ secrets are base64.
			if ( false === $key || '' === $key ) {
				add_settings_error( $option, 'hookgate_secret_format', __( 'Each relay secret must be whsec_ followed by base64, as in the gateway’s relay configuration. The saved secret was kept.', 'hookgate' ) );
				return $old;
			}
		}
		return implode( ' ', $entries );
	}

	/**
	 * Explains the receiving side: the endpoint and the gateway's relay block.
	 */
	public static function render_receiving_intro() {
		$endpoint = rest_url( 'hookgate/v1/events' );
		$snippet  = "relay wordpress {\n\tto " . $endpoint . "\n\tsecret {env.RELAY_SECRET}\n}";
		echo '<p>' . esc_html__( 'The gateway relays verified events to this endpoint:', 'hookgate' ) . ' <code>' . esc_html( $endpoint ) . '</code></p>';
		echo '<p>' . esc_html__( 'Add this to the global options of your gateway’s Caddyfile, with RELAY_SECRET set to the same whsec_ secret as below (while rotating, the field below may hold several, separated by spaces):', 'hookgate' ) . '</p>';
		echo '<pre>' . esc_html( $snippet ) . '</pre>';
	}

	/**
	 * Warns when sending is switched on but cannot happen yet.
	 */
	public static function render_sending_intro() {
		if ( get_option( Hookgate_Settings::OPTION_SEND_ENABLED ) && ! Hookgate_Settings::sending_enabled() ) {
			echo '<p class="description">' . esc_html__( 'Nothing is sent until both a gateway URL and a sending secret are set.', 'hookgate' ) . '</p>';
		}
	}

	/**
	 * A secret's field: a note when a constant fixes it, else an input that
	 * never carries the stored value back to the browser.
	 *
	 * @param array $args option, constant.
	 */
	public static function render_secret_field( $args ) {
		if ( Hookgate_Settings::from_constant( $args['constant'] ) ) {
			/* translators: %s: a constant's name. */
			echo '<p>' . esc_html( sprintf( __( 'Set in wp-config.php (%s)', 'hookgate' ), $args['constant'] ) ) . '</p>';
			return;
		}
		$saved = '' !== trim( (string) get_option( $args['option'], '' ) );
		// new-password stops browsers autofilling a login password, which would replace the secret on save.
		printf( '<input type="password" class="regular-text" id="%1$s" name="%1$s" value="" autocomplete="new-password" spellcheck="false" />', esc_attr( $args['option'] ) );
		echo '<p class="description">' . ( $saved ? esc_html__( 'A secret is saved. Leave empty to keep it.', 'hookgate' ) : esc_html__( 'No secret saved.', 'hookgate' ) ) . '</p>';
		if ( $saved ) {
			printf( '<p><label><input type="checkbox" name="%s_clear" value="1" /> %s</label></p>', esc_attr( $args['option'] ), esc_html__( 'Clear the saved secret', 'hookgate' ) );
		}
	}

	/**
	 * The gateway URL: read-only when HOOKGATE_GATEWAY_URL fixes it.
	 *
	 * @param array $args option, constant.
	 */
	public static function render_url_field( $args ) {
		if ( Hookgate_Settings::from_constant( $args['constant'] ) ) {
			/* translators: %s: a constant's name. */
			echo '<p><code>' . esc_html( Hookgate_Settings::gateway_url() ) . '</code> ' . esc_html( sprintf( __( 'Set in wp-config.php (%s)', 'hookgate' ), $args['constant'] ) ) . '</p>';
			return;
		}
		printf( '<input type="url" class="regular-text code" id="%1$s" name="%1$s" value="%2$s" placeholder="https://gateway.example.com/hooks/wordpress" />', esc_attr( $args['option'] ), esc_attr( (string) get_option( $args['option'], '' ) ) );
	}

	/**
	 * A single checkbox whose label is already escaped by the caller.
	 *
	 * @param array $args option, label.
	 */
	public static function render_checkbox_field( $args ) {
		printf( '<label><input type="checkbox" id="%1$s" name="%1$s" value="1" %2$s /> %3$s</label>', esc_attr( $args['option'] ), checked( (bool) get_option( $args['option'] ), true, false ), wp_kses( $args['label'], array( 'code' => array() ) ) );
	}

	/**
	 * One checkbox per sendable event.
	 *
	 * @param array $args option.
	 */
	public static function render_events_field( $args ) {
		$selected = (array) get_option( $args['option'], array() );
		echo '<fieldset><legend class="screen-reader-text">' . esc_html__( 'Events', 'hookgate' ) . '</legend>';
		foreach ( Hookgate_Settings::sendable_events() as $type => $label ) {
			$note = 'order.created' === $type && ! class_exists( 'WooCommerce' ) ? ' ' . __( '(needs WooCommerce)', 'hookgate' ) : '';
			printf( '<label><input type="checkbox" name="%s[]" value="%s" %s /> %s <code>%s</code>%s</label><br />', esc_attr( $args['option'] ), esc_attr( $type ), checked( in_array( $type, $selected, true ), true, false ), esc_html( $label ), esc_html( $type ), esc_html( $note ) );
		}
		echo '</fieldset>';
	}

	/**
	 * Renders the page: the settings form, then both event tables.
	 */
	public static function render_page() {
		if ( ! current_user_can( self::CAPABILITY ) ) {
			wp_die( esc_html__( 'Sorry, you are not allowed to manage Hookgate.', 'hookgate' ), 403 );
		}
		echo '<div class="wrap"><h1>' . esc_html__( 'Hookgate', 'hookgate' ) . '</h1>';
		Hookgate_Admin_Events::render_retry_notice();
		echo '<form method="post" action="' . esc_url( admin_url( 'options.php' ) ) . '">';
		settings_fields( self::GROUP );
		do_settings_sections( self::PAGE );
		submit_button();
		echo '</form>';
		Hookgate_Admin_Events::render_inbox();
		Hookgate_Admin_Events::render_outbox();
		echo '</div>';
	}
}
