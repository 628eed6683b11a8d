<?php
/**
 * The canonical event envelope the relay delivers, checked before any
 * handler sees it.
 *
 * @package Hookgate
 */

defined( 'ABSPATH' ) || exit;

/**
 * Decodes and validates an envelope: id, source, tenant, type,
 * occurred_at, received_at, optional actor, subject and action objects,
 * and data (the provider's payload).
 */
final class Hookgate_Envelope {

	/**
	 * Decodes a delivery body into the envelope array handlers receive.
	 *
	 * @param string $body The exact request body.
	 * @return array|WP_Error The envelope, or a 400 naming the first problem.
	 */
	public static function decode( $body ) {
		$event = json_decode( $body, true, 512 );
		if ( ! is_array( $event ) || array_is_list( $event ) ) {
			return self::invalid( 'body is not a JSON object' );
		}
		foreach ( array( 'id', 'source', 'type', 'received_at' ) as $field ) {
			if ( ! isset( $event[ $field ] ) || ! is_string( $event[ $field ] ) || '' === $event[ $field ] ) {
				return self::invalid( "envelope needs a non-empty string \"{$field}\"" );
			}
		}
		foreach ( array( 'tenant', 'occurred_at' ) as $field ) {
			if ( isset( $event[ $field ] ) && ! is_string( $event[ $field ] ) ) {
				return self::invalid( "envelope \"{$field}\" must be a string" );
			}
		}
		foreach ( array( 'actor', 'subject', 'action' ) as $field ) {
			if ( isset( $event[ $field ] ) && ! is_array( $event[ $field ] ) ) {
				return self::invalid( "envelope \"{$field}\" must be an object" );
			}
		}
		if ( ! array_key_exists( 'data', $event ) ) {
			return self::invalid( 'envelope needs "data"' );
		}
		if ( strlen( $event['type'] ) > 191 ) {
			return self::invalid( 'envelope "type" is longer than 191 bytes' );
		}
		if ( ! preg_match( '/^[a-z0-9_-]{1,64}$/', $event['source'] ) ) {
			return self::invalid( 'envelope "source" has characters outside [a-z0-9_-]' );
		}
		$event += array(
			'tenant'      => '',
			'occurred_at' => $event['received_at'],
			'actor'       => null,
			'subject'     => null,
			'action'      => null,
		);
		return $event;
	}

	/**
	 * The per-type action name of an event: "hookgate_event_<source>_<type>"
	 * with the type's dots (and anything else a hook name should not hold)
	 * made underscores, e.g. hookgate_event_stripe_invoice_paid.
	 *
	 * @param array $event A decoded envelope.
	 * @return string
	 */
	public static function action_name( array $event ) {
		$type = strtolower( preg_replace( '/[^A-Za-z0-9_]/', '_', $event['type'] ) );
		return 'hookgate_event_' . $event['source'] . '_' . $type;
	}

	/**
	 * A 400 naming what is wrong with the envelope.
	 *
	 * @param string $why What is wrong.
	 * @return WP_Error
	 */
	private static function invalid( $why ) {
		return new WP_Error( 'hookgate_invalid_envelope', $why, array( 'status' => 400 ) );
	}
}
