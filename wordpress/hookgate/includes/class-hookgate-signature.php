<?php
/**
 * The two signature schemes the plugin speaks: Standard Webhooks, which the
 * Hookgate relay signs its deliveries with, and the `wordpress` scheme the
 * gateway's `webhook wordpress` route verifies.
 *
 * @package Hookgate
 */

defined( 'ABSPATH' ) || exit;

/**
 * Signs and verifies; compares in constant time and never reveals which
 * secret or what signature was expected.
 */
final class Hookgate_Signature {

	/**
	 * How far a signed timestamp may be from now, either way, in seconds.
	 */
	const TOLERANCE = 300;

	/**
	 * Verifies a Standard Webhooks delivery: webhook-signature holds one or
	 * more space-separated "v1,<base64>" entries, each an HMAC-SHA256 of
	 * "<webhook-id>.<webhook-timestamp>.<body>" keyed with the base64 part of
	 * a whsec_ secret. Any entry matching any secret is enough.
	 *
	 * @param string[] $secrets   whsec_… secrets, several during rotation.
	 * @param string   $id        The webhook-id header.
	 * @param string   $timestamp The webhook-timestamp header (Unix seconds).
	 * @param string   $signature The webhook-signature header.
	 * @param string   $body      The exact request body.
	 * @param int|null $now       The current Unix time; null for time().
	 * @return true|WP_Error
	 */
	public static function verify_standard( array $secrets, $id, $timestamp, $signature, $body, $now = null ) {
		if ( '' === $id || '' === $timestamp || '' === $signature ) {
			return self::unauthorized( 'missing webhook-id, webhook-timestamp or webhook-signature' );
		}
		if ( ! preg_match( '/^[0-9]{1,12}$/', $timestamp ) ) {
			return self::unauthorized( 'malformed webhook-timestamp' );
		}
		$now = null === $now ? time() : $now;
		if ( abs( $now - (int) $timestamp ) > self::TOLERANCE ) {
			return self::unauthorized( 'webhook-timestamp outside the tolerance' );
		}
		$given = array();
		foreach ( preg_split( '/\s+/', trim( $signature ) ) as $entry ) {
			$parts = explode( ',', $entry, 2 );
			if ( 2 === count( $parts ) && 'v1' === $parts[0] ) {
				$raw = base64_decode( $parts[1], true );
				if ( false !== $raw && 32 === strlen( $raw ) ) {
					$given[] = $raw;
				}
			}
		}
		if ( empty( $given ) ) {
			return self::unauthorized( 'no v1 signature in webhook-signature' );
		}
		$signed  = $id . '.' . $timestamp . '.' . $body;
		$matched = false;
		foreach ( $secrets as $secret ) {
			$key = self::standard_key( $secret );
			if ( null === $key ) {
				continue;
			}
			$expected = hash_hmac( 'sha256', $signed, $key, true );
			foreach ( $given as $candidate ) {
				// Every pair is compared, so the time taken says nothing
				// about which secret or entry matched.
				$matched = hash_equals( $expected, $candidate ) || $matched;
			}
		}
		return $matched ? true : self::unauthorized( 'signature mismatch' );
	}

	/**
	 * The HMAC key of a whsec_ secret: the base64 that follows the prefix.
	 *
	 * @param string $secret A whsec_… secret.
	 * @return string|null The raw key, or null when the secret is not base64.
	 */
	public static function standard_key( $secret ) {
		$encoded = 0 === strpos( $secret, 'whsec_' ) ? substr( $secret, 6 ) : $secret;
		$key     = base64_decode( $encoded, true );
		return false === $key || '' === $key ? null : $key;
	}

	/**
	 * Signs an outgoing WordPress event for the gateway's `wordpress`
	 * scheme: base64 HMAC-SHA256 of "<timestamp>.<body>" with the shared
	 * secret used as plain bytes.
	 *
	 * @param string $secret    The shared secret.
	 * @param string $timestamp Unix seconds, as sent in X-WP-Timestamp.
	 * @param string $body      The exact request body.
	 * @return string The X-WP-Signature value.
	 */
	public static function sign_wordpress( $secret, $timestamp, $body ) {
		// phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode -- the scheme is base64.
		return base64_encode( hash_hmac( 'sha256', $timestamp . '.' . $body, $secret, true ) );
	}

	/**
	 * A 401 that names what was wrong with the request, never a secret.
	 *
	 * @param string $why What was wrong.
	 * @return WP_Error
	 */
	private static function unauthorized( $why ) {
		return new WP_Error( 'hookgate_unauthorized', $why, array( 'status' => 401 ) );
	}
}
