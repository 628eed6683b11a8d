<?php
/**
 * The dedupe store: one row per idempotency key, claimed before the
 * handlers run and marked done after, so an at-least-once relay runs each
 * event's handlers once. The key alone, not the route, names the event:
 * the route is not signed, and a delivery replayed to another route must
 * not run the handlers again.
 *
 * @package Hookgate
 */

defined( 'ABSPATH' ) || exit;

/**
 * Claims, finishes and prunes inbox rows.
 */
final class Hookgate_Inbox {

	/**
	 * How long a processed key is remembered, in seconds (filter
	 * hookgate_dedupe_ttl). Longer than the relay's longest retry schedule.
	 */
	const TTL = 259200;

	/**
	 * A row still "processing" after this many seconds was abandoned (a PHP
	 * worker killed mid-request; a fatal error or an exit is caught by the
	 * receiver's shutdown guard) and may be taken over by a retry. Kept
	 * short so the relay's retries outlast it.
	 */
	const STALE_AFTER = 120;

	/**
	 * Claims a delivery for processing.
	 *
	 * @param string $key   The delivery's idempotency key.
	 * @param string $route The route it came in on ("events", "user-sync"…).
	 * @param array  $event The decoded envelope.
	 * @return array|WP_Error array( 'claim' => 'new'|'duplicate'|'busy', 'id' => row id,
	 *                        'token' => this claim's token (finish() and fail() need it),
	 *                        'retry_after' => seconds until a busy row may be taken over ),
	 *                        or a 503 when the database failed.
	 */
	public static function claim( $key, $route, array $event ) {
		global $wpdb;
		$table = Hookgate_Schema::inbox_table();
		$hash  = hash( 'sha256', $key );
		$token = bin2hex( random_bytes( 16 ) );
		$now   = gmdate( 'Y-m-d H:i:s' );
		// ON DUPLICATE KEY rather than INSERT IGNORE, which would also hide
		// real errors; whose insert made the row is read back from the
		// token, not from affected rows, which CLIENT_FOUND_ROWS changes.
		$inserted = $wpdb->query(
			$wpdb->prepare(
				// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name.
				"INSERT INTO {$table} (dedupe_hash, claim_token, idempotency_key, route, source, event_type, status, attempts, received_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, 'processing', 1, %s, %s) ON DUPLICATE KEY UPDATE id = id",
				$hash,
				$token,
				substr( $key, 0, 255 ),
				$route,
				substr( $event['source'], 0, 64 ),
				substr( $event['type'], 0, 191 ),
				$now,
				$now
			)
		);
		if ( false === $inserted ) {
			return self::unavailable();
		}
		$row = $wpdb->get_row(
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name.
			$wpdb->prepare( "SELECT id, claim_token, status, updated_at FROM {$table} WHERE dedupe_hash = %s", $hash )
		);
		if ( null === $row ) {
			return self::unavailable();
		}
		$claim = array(
			'claim'       => hash_equals( $row->claim_token, $token ) ? 'new' : 'busy',
			'id'          => (int) $row->id,
			'token'       => $token,
			'retry_after' => 0,
		);
		if ( 'new' === $claim['claim'] ) {
			return $claim;
		}
		$stale_at = strtotime( $row->updated_at . ' UTC' ) + self::STALE_AFTER;
		if ( 'done' === $row->status ) {
			$claim['claim'] = 'duplicate';
		} elseif ( 'failed' === $row->status || $stale_at < time() ) {
			// The conditional update is the lock: of two retries racing
			// for a failed row, one changes it and the other sees "busy".
			$taken = $wpdb->query(
				$wpdb->prepare(
					// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name.
					"UPDATE {$table} SET status = 'processing', claim_token = %s, route = %s, attempts = attempts + 1, updated_at = %s WHERE id = %d AND status = %s AND updated_at = %s",
					$token,
					$route,
					$now,
					$row->id,
					$row->status,
					$row->updated_at
				)
			);
			if ( false === $taken ) {
				return self::unavailable();
			}
			if ( 1 === $taken ) {
				$claim['claim'] = 'new';
			} else {
				$claim['retry_after'] = 5;
			}
		} else {
			$claim['retry_after'] = max( 5, $stale_at - time() + 1 );
		}
		return $claim;
	}

	/**
	 * Marks a claimed row processed: later deliveries are duplicates.
	 *
	 * @param array $claim What claim() returned.
	 * @return bool Whether the database took it.
	 */
	public static function finish( array $claim ) {
		return self::set_status( $claim, 'done', null );
	}

	/**
	 * Marks a claimed row failed: the relay's retry may claim it again.
	 *
	 * @param array  $claim What claim() returned.
	 * @param string $error What failed, kept for the settings page.
	 * @return bool Whether the database took it.
	 */
	public static function fail( array $claim, $error ) {
		return self::set_status( $claim, 'failed', substr( $error, 0, 1000 ) );
	}

	/**
	 * The newest rows, for the settings page.
	 *
	 * @param int $limit How many.
	 * @return object[]
	 */
	public static function recent( $limit ) {
		global $wpdb;
		$table = Hookgate_Schema::inbox_table();
		return (array) $wpdb->get_results(
			$wpdb->prepare(
				// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name.
				"SELECT idempotency_key, route, source, event_type, status, attempts, last_error, received_at, updated_at FROM {$table} ORDER BY id DESC LIMIT %d",
				$limit
			)
		);
	}

	/**
	 * Forgets keys older than the dedupe TTL, in batches so a large table
	 * does not hold a long lock.
	 */
	public static function prune() {
		global $wpdb;
		$table  = Hookgate_Schema::inbox_table();
		$ttl    = (int) apply_filters( 'hookgate_dedupe_ttl', self::TTL );
		$cutoff = gmdate( 'Y-m-d H:i:s', time() - max( $ttl, HOUR_IN_SECONDS ) );
		do {
			$deleted = $wpdb->query(
				// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- table name.
				$wpdb->prepare( "DELETE FROM {$table} WHERE received_at < %s LIMIT 1000", $cutoff )
			);
		} while ( $deleted > 0 );
	}

	/**
	 * Sets a claimed row's status and error, only while the claim is still
	 * this request's: a handler that outlived STALE_AFTER was taken over,
	 * and its late word must not undo the new owner's.
	 *
	 * @param array       $claim  What claim() returned.
	 * @param string      $status 'done' or 'failed'.
	 * @param string|null $error  The error, null to clear it.
	 * @return bool Whether the row was written or was no longer ours.
	 */
	private static function set_status( array $claim, $status, $error ) {
		global $wpdb;
		return false !== $wpdb->update(
			Hookgate_Schema::inbox_table(),
			array(
				'status'     => $status,
				'last_error' => $error,
				'updated_at' => gmdate( 'Y-m-d H:i:s' ),
			),
			array(
				'id'          => $claim['id'],
				'claim_token' => $claim['token'],
			),
			array( '%s', '%s', '%s' ),
			array( '%d', '%s' )
		);
	}

	/**
	 * A 503: the relay retries later, nothing is lost.
	 *
	 * @return WP_Error
	 */
	private static function unavailable() {
		return new WP_Error( 'hookgate_store_unavailable', 'the dedupe store is unavailable', array( 'status' => 503 ) );
	}
}
