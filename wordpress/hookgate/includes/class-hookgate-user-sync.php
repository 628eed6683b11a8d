<?php
/**
 * The built-in handler of the relay route /wp-json/hookgate/v1/user-sync:
 * keeps a WordPress user per external customer (a Stripe customer, a user
 * of another site...), matched by external id, else by email.
 *
 * @package Hookgate
 */

defined( 'ABSPATH' ) || exit;

/**
 * Creates and updates users from relayed events.
 */
final class Hookgate_User_Sync {

	const META_EXTERNAL_ID = 'hookgate_external_id';
	const META_LAST_EVENT  = 'hookgate_last_event';
	const META_SOURCE      = 'hookgate_source';
	const META_OCCURRED_AT = 'hookgate_last_occurred_at';
	const META_CREATED     = 'hookgate_created';
	const META_CLAIMED     = 'hookgate_claimed';

	/**
	 * Copied payload fields per event at most, so one large object cannot
	 * flood the usermeta table.
	 */
	const MAX_FIELDS = 100;

	/**
	 * Handles the user-sync route's deliveries when the admin opted in.
	 */
	public static function init() {
		if ( Hookgate_Settings::user_sync_enabled() ) {
			add_action( 'hookgate_route_user-sync', array( __CLASS__, 'handle' ) );
		}
		// Once a person has logged in or reset the password, the account is
		// theirs: its email no longer follows the source.
		add_action( 'wp_login', array( __CLASS__, 'claimed_by_login' ), 10, 2 );
		add_action( 'after_password_reset', array( __CLASS__, 'claimed' ) );
		// Logins that skip wp_login (magic links, auto-login) still set the
		// auth cookie.
		add_action( 'set_auth_cookie', array( __CLASS__, 'claimed_by_cookie' ), 10, 4 );
	}

	/**
	 * Marks a synced account claimed at its first login.
	 *
	 * @param string  $login The user's login.
	 * @param WP_User $user  The user.
	 */
	public static function claimed_by_login( $login, $user ) {
		if ( $user instanceof WP_User ) {
			self::claimed( $user );
		}
	}

	/**
	 * Marks a synced account claimed when an auth cookie is set for it.
	 *
	 * @param string $cookie     The cookie.
	 * @param int    $expire     When the cookie expires.
	 * @param int    $expiration When the session expires.
	 * @param int    $user_id    The user.
	 */
	public static function claimed_by_cookie( $cookie, $expire, $expiration, $user_id ) {
		$user = get_userdata( (int) $user_id );
		if ( $user ) {
			self::claimed( $user );
		}
	}

	/**
	 * Marks a synced account claimed by its person.
	 *
	 * @param WP_User $user The user.
	 */
	public static function claimed( $user ) {
		if ( $user instanceof WP_User && '' !== (string) get_user_meta( $user->ID, self::META_CREATED, true ) ) {
			update_user_meta( $user->ID, self::META_CLAIMED, '1' );
		}
	}

	/**
	 * Syncs the event's actor into a WordPress user. An event without a
	 * usable email names nobody to sync and is done; failures to write the
	 * user throw, so the relay delivers the event again.
	 *
	 * @param array $event The canonical envelope, decoded.
	 * @throws RuntimeException When the user cannot be created or updated.
	 */
	public static function handle( array $event ) {
		$actor = isset( $event['actor'] ) && is_array( $event['actor'] ) ? $event['actor'] : array();
		$email = isset( $actor['email'] ) && is_string( $actor['email'] ) ? sanitize_email( $actor['email'] ) : '';
		if ( '' === $email || ! is_email( $email ) ) {
			return;
		}
		$source   = isset( $event['source'] ) && is_string( $event['source'] ) ? sanitize_key( $event['source'] ) : '';
		$actor_id = isset( $actor['id'] ) && is_scalar( $actor['id'] ) ? sanitize_text_field( (string) $actor['id'] ) : '';
		$external = '' !== $source && '' !== $actor_id ? $source . ':' . $actor_id : '';
		$occurred = self::sortable_time( isset( $event['occurred_at'] ) ? $event['occurred_at'] : '' );

		$user_id     = '' !== $external ? self::find_by_external_id( $external ) : 0;
		$by_external = $user_id > 0;
		if ( ! $by_external ) {
			$user = get_user_by( 'email', $email );
			if ( $user && ! self::linkable( $user, $external ) ) {
				return;
			}
			$user_id = $user ? (int) $user->ID : 0;
		}

		if ( $user_id > 0 ) {
			$last = self::sortable_time( get_user_meta( $user_id, self::META_OCCURRED_AT, true ) );
			// A retry that arrives after a newer event must not undo it.
			if ( '' !== $occurred && '' !== $last && strcmp( $occurred, $last ) < 0 ) {
				return;
			}
			if ( $by_external ) {
				self::maybe_update_email( $user_id, $email, $external );
			}
		} else {
			// A customer deleted elsewhere is no reason for a new account.
			if ( isset( $event['action']['type'] ) && 'deleted' === $event['action']['type'] ) {
				return;
			}
			$user_id = self::create_user( $email, $external );
		}

		if ( '' !== $external ) {
			update_user_meta( $user_id, self::META_EXTERNAL_ID, $external );
		}
		if ( '' !== $source ) {
			update_user_meta( $user_id, self::META_SOURCE, $source );
		}
		if ( isset( $event['id'] ) && is_scalar( $event['id'] ) ) {
			update_user_meta( $user_id, self::META_LAST_EVENT, sanitize_text_field( (string) $event['id'] ) );
		}
		if ( '' !== $occurred ) {
			update_user_meta( $user_id, self::META_OCCURRED_AT, $occurred );
		}
		foreach ( self::fields( $event, $source ) as $key => $value ) {
			update_user_meta( $user_id, 'hookgate_' . $key, $value );
		}

		/**
		 * Fires after a relayed event was synced into a user.
		 *
		 * @param int   $user_id The user's id.
		 * @param array $event   The canonical envelope.
		 */
		do_action( 'hookgate_user_synced', $user_id, $event );
	}

	/**
	 * The payload fields copied to user meta: for Stripe, those of a
	 * customer object only (other Stripe objects, an invoice or a
	 * subscription, are not facts about the user); for other sources those
	 * of data.object when present, else of data. Only scalar fields with
	 * plain keys are kept, and never one that would overwrite Hookgate's
	 * own bookkeeping.
	 *
	 * @param array  $event  The canonical envelope.
	 * @param string $source The sanitized source.
	 * @return array<string, string> Keys without the hookgate_ prefix.
	 */
	private static function fields( array $event, $source ) {
		$data = isset( $event['data'] ) && is_array( $event['data'] ) ? $event['data'] : array();
		// The gateway's Stripe normalizer already makes data the Stripe
		// object itself, so its "object" is the kind ("customer"); the
		// nested form is accepted too.
		$object = isset( $data['object'] ) && is_array( $data['object'] ) ? $data['object'] : $data;
		if ( 'stripe' === $source && ( ! isset( $object['object'] ) || 'customer' !== $object['object'] ) ) {
			return array();
		}
		$reserved = array( 'external_id', 'last_event', 'source', 'last_occurred_at', 'created', 'claimed' );
		$fields   = array();
		foreach ( $object as $key => $value ) {
			if ( count( $fields ) >= self::MAX_FIELDS ) {
				break;
			}
			// Integer keys (a JSON list) are no field names.
			if ( ! is_string( $key ) || ! preg_match( '/^[a-z0-9_]{1,64}$/', $key ) || in_array( $key, $reserved, true ) ) {
				continue;
			}
			if ( ! is_scalar( $value ) ) {
				continue;
			}
			if ( is_bool( $value ) ) {
				$value = $value ? '1' : '0';
			}
			$fields[ $key ] = sanitize_text_field( (string) $value );
		}
		return $fields;
	}

	/**
	 * The user linked to an external id.
	 *
	 * @param string $external "<source>:<actor id>".
	 * @return int The user id, 0 when none.
	 */
	private static function find_by_external_id( $external ) {
		$ids = get_users(
			array(
				'blog_id'     => 0, // Like get_user_by( 'email' ): the whole network.
				'meta_key'    => self::META_EXTERNAL_ID, // phpcs:ignore WordPress.DB.SlowDBQuery.slow_db_query_meta_key
				'meta_value'  => $external, // phpcs:ignore WordPress.DB.SlowDBQuery.slow_db_query_meta_value
				'number'      => 20,
				'fields'      => 'ID',
				'orderby'     => 'ID',
				'count_total' => false,
			)
		);
		// The database compares without case or accents ("acme:Bob" finds
		// "acme:bob"); only the exact id is the same customer.
		foreach ( $ids as $id ) {
			if ( get_user_meta( (int) $id, self::META_EXTERNAL_ID, true ) === $external ) {
				return (int) $id;
			}
		}
		return 0;
	}

	/**
	 * Whether a user found by email may be linked to an external id. The
	 * source's email is not verified here, so a customer made with someone
	 * else's address must not reach an account that matters: never one
	 * that can do more than a subscriber, never one already linked to
	 * another customer.
	 *
	 * @param WP_User $user     The user with the event's email.
	 * @param string  $external "<source>:<actor id>", or '' when none.
	 * @return bool
	 */
	private static function linkable( WP_User $user, $external ) {
		$linked = (string) get_user_meta( $user->ID, self::META_EXTERNAL_ID, true );
		if ( '' !== $linked && $linked !== $external ) {
			// Two customers claim one address: freeze the account's email, so
			// neither can move it to an address of theirs.
			update_user_meta( $user->ID, self::META_CLAIMED, '1' );
			// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log -- operators need to see the refusal.
			error_log( sprintf( 'hookgate: user-sync did not link user %d to %s: it is linked to another customer', $user->ID, $external ) );
			return false;
		}
		return self::plain( $user );
	}

	/**
	 * Whether a user holds nothing a subscriber does not: no capability
	 * beyond reading, on this site or, in a network, as a super admin.
	 *
	 * @param WP_User $user The user.
	 * @return bool
	 */
	private static function plain( WP_User $user ) {
		if ( is_super_admin( $user->ID ) ) {
			return false;
		}
		foreach ( array_keys( array_filter( (array) $user->allcaps ) ) as $cap ) {
			// allcaps also lists the user's role names.
			if ( ! in_array( $cap, array( 'read', 'level_0' ), true ) && ! wp_roles()->is_role( $cap ) ) {
				return false;
			}
		}
		return true;
	}

	/**
	 * Follows an email change at the source, but only for an account this
	 * handler created for this very customer, that nobody has claimed by
	 * logging in or resetting its password, and that holds no more than a
	 * subscriber does. The source's email
	 * is not verified by this site: were any linked user's email to follow
	 * it, whoever can set a customer's email at the source (a checkout form)
	 * could link an existing account by its email, change it, and take the
	 * account over with a password reset.
	 *
	 * @param int    $user_id  The user linked by external id.
	 * @param string $email    The email the source now has.
	 * @param string $external The event's "<source>:<actor id>".
	 * @throws RuntimeException When WordPress refuses the update.
	 */
	private static function maybe_update_email( $user_id, $email, $external ) {
		$user = get_userdata( $user_id );
		if ( ! $user || 0 === strcasecmp( $user->user_email, $email ) ) {
			return;
		}
		$created_for = (string) get_user_meta( $user_id, self::META_CREATED, true );
		$allowed     = $created_for === $external
			&& $created_for === (string) get_user_meta( $user_id, self::META_EXTERNAL_ID, true )
			&& '1' !== (string) get_user_meta( $user_id, self::META_CLAIMED, true )
			&& self::plain( $user );
		/**
		 * Filters whether a synced user's email may follow the source's.
		 *
		 * @param bool    $allowed Whether the email is updated.
		 * @param WP_User $user    The user.
		 * @param string  $email   The new email.
		 */
		if ( ! apply_filters( 'hookgate_user_sync_update_email', $allowed, $user, $email ) ) {
			return;
		}
		// Another user's address: keep the old one rather than fail forever.
		$owner = email_exists( $email );
		if ( false !== $owner && (int) $owner !== (int) $user_id ) {
			return;
		}
		$result = wp_update_user(
			array(
				'ID'         => $user_id,
				'user_email' => $email,
			)
		);
		if ( is_wp_error( $result ) ) {
			throw new RuntimeException( esc_html( $result->get_error_message() ) );
		}
	}

	/**
	 * Creates a user for the email with the site's default role (filter
	 * hookgate_user_sync_role), or subscriber when that role can do more
	 * than read: an event from outside must not make an author.
	 *
	 * @param string $email    A valid email address.
	 * @param string $external "<source>:<actor id>" the user is made for, or ''.
	 * @return int The new user's id.
	 * @throws RuntimeException When WordPress refuses the user.
	 */
	private static function create_user( $email, $external ) {
		$role   = (string) apply_filters( 'hookgate_user_sync_role', (string) get_option( 'default_role' ) );
		$object = get_role( $role );
		$extra = $object ? array_diff( array_keys( array_filter( $object->capabilities ) ), array( 'read', 'level_0' ) ) : array( 'none' );
		if ( ! empty( $extra ) ) {
			$role = 'subscriber';
		}
		$user_id = wp_insert_user(
			array(
				'user_login' => self::unique_login( $email ),
				'user_email' => $email,
				'user_pass'  => wp_generate_password( 24, true, true ),
				'role'       => $role,
			)
		);
		// A concurrent delivery may have created the same user first: the
		// relay's retry then finds it by email.
		if ( is_wp_error( $user_id ) ) {
			throw new RuntimeException( esc_html( $user_id->get_error_message() ) );
		}
		// Which customer the account was made for; '' leaves its email fixed.
		update_user_meta( $user_id, self::META_CREATED, '' === $external ? '-' : $external );
		return (int) $user_id;
	}

	/**
	 * A free user_login from the email's local part: "jane", else "jane2",
	 * "jane3"...
	 *
	 * @param string $email A valid email address.
	 * @return string
	 */
	private static function unique_login( $email ) {
		$base = sanitize_user( (string) strstr( $email, '@', true ), true );
		$base = '' === $base ? 'user' : substr( $base, 0, 50 );
		/** This filter is documented in wp-includes/user.php */
		$illegal = array_map( 'strtolower', (array) apply_filters( 'illegal_user_logins', array() ) );
		$login   = $base;
		for ( $n = 2; username_exists( $login ) || in_array( strtolower( $login ), $illegal, true ); $n++ ) {
			// Past a thousand namesakes, stop counting and draw a suffix.
			$login = $n > 1000 ? $base . wp_rand( 1001, 999999999 ) : $base . $n;
		}
		return $login;
	}

	/**
	 * An RFC 3339 time as fixed-width UTC text ("2024-05-01T12:00:00.123456Z"),
	 * which compares correctly as a string. The gateway writes Go's
	 * RFC3339Nano, whose fraction varies in length or is left out, so the
	 * raw text does not compare reliably ("12:00:00Z" sorts after
	 * "12:00:00.5Z").
	 *
	 * @param mixed $value The time as sent or stored.
	 * @return string The normalized time, or '' when it is not RFC 3339.
	 */
	private static function sortable_time( $value ) {
		$pattern = '/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i';
		if ( ! is_string( $value ) || ! preg_match( $pattern, $value ) ) {
			return '';
		}
		try {
			$time = new DateTimeImmutable( $value );
		} catch ( Exception $e ) {
			return '';
		}
		return $time->setTimezone( new DateTimeZone( 'UTC' ) )->format( 'Y-m-d\TH:i:s.u\Z' );
	}
}
