<?php
/**
 * Deleting the plugin (Plugins → Delete) removes its tables, options and
 * schedules. Users that user-sync made, and their hookgate_* meta, stay:
 * they are the site's users now.
 *
 * @package Hookgate
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

require_once __DIR__ . '/includes/class-hookgate-settings.php';
require_once __DIR__ . '/includes/class-hookgate-schema.php';
require_once __DIR__ . '/includes/class-hookgate-sender.php';

Hookgate_Schema::uninstall();
