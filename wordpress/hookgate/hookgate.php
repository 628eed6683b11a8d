<?php
/**
 * Plugin Name:       Hookgate
 * Plugin URI:        https://github.com/hookgate/caddy-hookgate
 * Description:       Receives the events the Hookgate gateway relays (verified, deduplicated, one action per event) and signs WordPress's own events out to the gateway.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      8.1
 * License:           GPL-2.0-or-later
 * Text Domain:       hookgate
 *
 * @package Hookgate
 */

defined( 'ABSPATH' ) || exit;

define( 'HOOKGATE_VERSION', '0.1.0' );
define( 'HOOKGATE_PLUGIN_FILE', __FILE__ );

require_once __DIR__ . '/includes/class-hookgate-settings.php';
require_once __DIR__ . '/includes/class-hookgate-schema.php';
require_once __DIR__ . '/includes/class-hookgate-signature.php';
require_once __DIR__ . '/includes/class-hookgate-envelope.php';
require_once __DIR__ . '/includes/class-hookgate-inbox.php';
require_once __DIR__ . '/includes/class-hookgate-receiver.php';
require_once __DIR__ . '/includes/class-hookgate-user-sync.php';
require_once __DIR__ . '/includes/class-hookgate-outbox.php';
require_once __DIR__ . '/includes/class-hookgate-sender.php';

register_activation_hook( __FILE__, array( 'Hookgate_Schema', 'activate' ) );
register_deactivation_hook( __FILE__, array( 'Hookgate_Schema', 'deactivate' ) );

add_action( 'plugins_loaded', array( 'Hookgate_Schema', 'maybe_upgrade' ) );
add_action( 'rest_api_init', array( 'Hookgate_Receiver', 'register_routes' ) );
add_action( Hookgate_Schema::PRUNE_HOOK, array( 'Hookgate_Inbox', 'prune' ) );

Hookgate_User_Sync::init();
Hookgate_Sender::init();

if ( is_admin() ) {
	require_once __DIR__ . '/admin/class-hookgate-admin.php';
	require_once __DIR__ . '/admin/class-hookgate-admin-events.php';
	Hookgate_Admin::init();
}
