<?php
/**
 * Plugin Name: Hookgate end-to-end recorder
 * Description: Test-only must-use plugin: records every hookgate_event in a table the end-to-end test reads, and fails once on demand.
 *
 * @package Hookgate
 */

defined( 'ABSPATH' ) || exit;

add_action(
	'hookgate_event',
	function ( $event, $route ) {
		global $wpdb;
		// An event of type test.fail_once throws on its first delivery, so
		// the test sees a 500 retried by the relay and one effect.
		if ( 'test.fail_once' === $event['type'] && ! get_option( 'hookgate_e2e_failed_' . md5( $event['id'] ) ) ) {
			update_option( 'hookgate_e2e_failed_' . md5( $event['id'] ), 1 );
			throw new RuntimeException( 'failing once on purpose' );
		}
		// test.exit_once ends the request inside the handler on its first
		// delivery, as a fatal error or a stray exit would.
		if ( 'test.exit_once' === $event['type'] && ! get_option( 'hookgate_e2e_exited_' . md5( $event['id'] ) ) ) {
			update_option( 'hookgate_e2e_exited_' . md5( $event['id'] ), 1 );
			exit;
		}
		$wpdb->insert(
			$wpdb->prefix . 'hookgate_e2e_effects',
			array(
				'event_id' => $event['id'],
				'source'   => $event['source'],
				'type'     => $event['type'],
				'route'    => $route,
				'envelope' => wp_json_encode( $event ),
			)
		);
	},
	10,
	2
);

// Run the hooks WP-Cron would run (the outbox retry, the inbox prune), so
// the test need not wait for the schedule; the time a row waits is passed
// by moving its timestamps in the database.
add_action(
	'rest_api_init',
	function () {
		register_rest_route(
			'hookgate-e2e/v1',
			'/prune',
			array(
				'methods'             => 'POST',
				'callback'            => function () {
					do_action( Hookgate_Schema::PRUNE_HOOK );
					return array( 'scheduled' => false !== wp_next_scheduled( Hookgate_Schema::PRUNE_HOOK ) );
				},
				'permission_callback' => '__return_true',
			)
		);
		register_rest_route(
			'hookgate-e2e/v1',
			'/send-due',
			array(
				'methods'             => 'POST',
				'callback'            => function () {
					do_action( Hookgate_Sender::RETRY_HOOK );
					return array(
						'ran'       => Hookgate_Sender::RETRY_HOOK,
						'scheduled' => false !== wp_next_scheduled( Hookgate_Sender::RETRY_HOOK ),
					);
				},
				'permission_callback' => '__return_true',
			)
		);
	}
);
