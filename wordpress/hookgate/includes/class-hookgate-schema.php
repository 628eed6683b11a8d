<?php
/**
 * Hookgate's two tables and their upkeep: the inbox remembers every relayed
 * delivery by its idempotency key (the dedupe store), the outbox holds
 * WordPress events until the gateway has taken them.
 *
 * @package Hookgate
 */

defined( 'ABSPATH' ) || exit;

/**
 * Creates, upgrades and schedules the upkeep of Hookgate's tables.
 */
final class Hookgate_Schema {

	const DB_VERSION        = '1';
	const DB_VERSION_OPTION = 'hookgate_db_version';
	const PRUNE_HOOK        = 'hookgate_prune';

	/**
	 * The inbox table's name.
	 *
	 * @return string
	 */
	public static function inbox_table() {
		global $wpdb;
		return $wpdb->prefix . 'hookgate_inbox';
	}

	/**
	 * The outbox table's name.
	 *
	 * @return string
	 */
	public static function outbox_table() {
		global $wpdb;
		return $wpdb->prefix . 'hookgate_outbox';
	}

	/**
	 * Activation: tables and schedules.
	 */
	public static function activate() {
		self::install();
		self::schedule();
	}

	/**
	 * Deactivation stops the schedules; the tables stay, so a reactivation
	 * still knows what it already processed and what it has yet to send.
	 */
	public static function deactivate() {
		wp_clear_scheduled_hook( self::PRUNE_HOOK );
		wp_clear_scheduled_hook( Hookgate_Sender::RETRY_HOOK );
	}

	/**
	 * Uninstall: drops both tables and deletes every option and schedule,
	 * on every site of a network.
	 */
	public static function uninstall() {
		if ( ! is_multisite() ) {
			self::uninstall_site();
			return;
		}
		$sites = get_sites(
			array(
				'fields' => 'ids',
				'number' => 0,
			)
		);
		foreach ( $sites as $site ) {
			switch_to_blog( $site );
			self::uninstall_site();
			restore_current_blog();
		}
	}

	/**
	 * Removes the current site's tables, options and schedules.
	 */
	private static function uninstall_site() {
		global $wpdb;
		wp_clear_scheduled_hook( self::PRUNE_HOOK );
		wp_clear_scheduled_hook( Hookgate_Sender::RETRY_HOOK );
		foreach ( array( self::inbox_table(), self::outbox_table() ) as $table ) {
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared, WordPress.DB.DirectDatabaseQuery.SchemaChange -- our own tables.
			$wpdb->query( "DROP TABLE IF EXISTS {$table}" );
		}
		$options = array(
			self::DB_VERSION_OPTION,
			Hookgate_Settings::OPTION_RECEIVE_SECRET,
			Hookgate_Settings::OPTION_SEND_SECRET,
			Hookgate_Settings::OPTION_GATEWAY_URL,
			Hookgate_Settings::OPTION_SEND_ENABLED,
			Hookgate_Settings::OPTION_SEND_EVENTS,
			Hookgate_Settings::OPTION_USER_SYNC,
		);
		foreach ( $options as $option ) {
			delete_option( $option );
		}
	}

	/**
	 * Installs or upgrades the tables when the plugin was updated without a
	 * reactivation (or activated by a deployment that skips the hook).
	 */
	public static function maybe_upgrade() {
		if ( get_option( self::DB_VERSION_OPTION ) !== self::DB_VERSION ) {
			self::install();
		}
		self::schedule();
	}

	/**
	 * Creates or alters both tables with dbDelta. The unique dedupe_hash is
	 * what makes a repeated delivery a no-op even when two arrive at once;
	 * claim_token tells the request whose insert made the row.
	 */
	public static function install() {
		global $wpdb;
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		$charset = $wpdb->get_charset_collate();
		$inbox   = self::inbox_table();
		$outbox  = self::outbox_table();
		dbDelta(
			"CREATE TABLE {$inbox} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  dedupe_hash char(64) NOT NULL,
  claim_token char(32) NOT NULL DEFAULT '',
  idempotency_key varchar(255) NOT NULL,
  route varchar(64) NOT NULL,
  source varchar(64) NOT NULL DEFAULT '',
  event_type varchar(191) NOT NULL DEFAULT '',
  status varchar(16) NOT NULL,
  attempts int(10) unsigned NOT NULL DEFAULT 0,
  last_error text NULL,
  received_at datetime NOT NULL,
  updated_at datetime NOT NULL,
  PRIMARY KEY  (id),
  UNIQUE KEY dedupe_hash (dedupe_hash),
  KEY received_at (received_at)
) {$charset};"
		);
		dbDelta(
			"CREATE TABLE {$outbox} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  event_id char(36) NOT NULL,
  event_type varchar(64) NOT NULL,
  payload longtext NOT NULL,
  status varchar(16) NOT NULL DEFAULT 'pending',
  attempts int(10) unsigned NOT NULL DEFAULT 0,
  next_attempt_at datetime NOT NULL,
  last_status int(10) unsigned NOT NULL DEFAULT 0,
  last_error text NULL,
  created_at datetime NOT NULL,
  updated_at datetime NOT NULL,
  PRIMARY KEY  (id),
  UNIQUE KEY event_id (event_id),
  KEY due (status,next_attempt_at)
) {$charset};"
		);
		update_option( self::DB_VERSION_OPTION, self::DB_VERSION, false );
	}

	/**
	 * Schedules the hourly prune and the outbox retry, once.
	 */
	private static function schedule() {
		if ( ! wp_next_scheduled( self::PRUNE_HOOK ) ) {
			wp_schedule_event( time() + HOUR_IN_SECONDS, 'hourly', self::PRUNE_HOOK );
		}
		Hookgate_Sender::schedule();
	}
}
