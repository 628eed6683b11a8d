<?php
/**
 * Hookgate_Signature against the published test vectors, run with php-cli
 * (tests/wordpress.sh): the scheme code is pure PHP, so only WP_Error is
 * stood in for. Everything else of the plugin is tested inside a real
 * WordPress by the end-to-end test.
 *
 * @package Hookgate
 */

define( 'ABSPATH', __DIR__ . '/' );

/**
 * The part of WordPress's WP_Error the scheme code uses.
 */
class WP_Error {
	/** @var string */
	public $code;
	/** @var string */
	public $message;
	/** @var array */
	public $data;

	/**
	 * @param string $code    Error code.
	 * @param string $message Message.
	 * @param array  $data    Data.
	 */
	public function __construct( $code, $message, $data ) {
		$this->code    = $code;
		$this->message = $message;
		$this->data    = $data;
	}
}

require dirname( __DIR__ ) . '/hookgate/includes/class-hookgate-signature.php';

// Standard Webhooks' published vector (providers.md), and the wordpress scheme's.
const STD_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const STD_ID     = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const STD_TS     = '1614265330';
const STD_BODY   = '{"test": 2432232314}';
const STD_SIG    = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';

$passed = 0;
$failed = 0;

/**
 * Records one check.
 *
 * @param string $name The rule.
 * @param bool   $ok   Whether it held.
 */
function check( $name, $ok ) {
	global $passed, $failed;
	if ( $ok ) {
		++$passed;
		return;
	}
	++$failed;
	fwrite( STDERR, "FAIL: {$name}\n" );
}

/**
 * Verifies the vector with some parts replaced.
 *
 * @param array $over Replacements for secrets, id, ts, sig, body, now.
 * @return true|WP_Error
 */
function verify( array $over = array() ) {
	$v = $over + array(
		'secrets' => array( STD_SECRET ),
		'id'      => STD_ID,
		'ts'      => STD_TS,
		'sig'     => STD_SIG,
		'body'    => STD_BODY,
		'now'     => (int) STD_TS,
	);
	return Hookgate_Signature::verify_standard( $v['secrets'], $v['id'], $v['ts'], $v['sig'], $v['body'], $v['now'] );
}

/**
 * Whether a result is a 401 rejection.
 *
 * @param mixed $r A verify result.
 * @return bool
 */
function rejected( $r ) {
	return $r instanceof WP_Error && 401 === $r->data['status'];
}

check( 'the published vector verifies', true === verify() );
check( 'the second secret matches during rotation', true === verify( array( 'secrets' => array( 'whsec_' . base64_encode( 'old' ), STD_SECRET ) ) ) );
check( 'any entry of a signature list matches', true === verify( array( 'sig' => 'v1,' . base64_encode( str_repeat( 'x', 32 ) ) . ' ' . STD_SIG ) ) );
check( 'a secret without the whsec_ prefix is the same key', true === verify( array( 'secrets' => array( substr( STD_SECRET, 6 ) ) ) ) );
check( 'a wrong secret is rejected', rejected( verify( array( 'secrets' => array( 'whsec_' . base64_encode( 'another' ) ) ) ) ) );
check( 'a timestamp 301 s old is rejected', rejected( verify( array( 'now' => (int) STD_TS + 301 ) ) ) );
check( 'a timestamp 301 s ahead is rejected', rejected( verify( array( 'now' => (int) STD_TS - 301 ) ) ) );
check( 'a timestamp 300 s old is accepted', true === verify( array( 'now' => (int) STD_TS + 300 ) ) );
check( 'a non-numeric timestamp is rejected', rejected( verify( array( 'ts' => '1614265330.0' ) ) ) );
check( 'a missing id is rejected', rejected( verify( array( 'id' => '' ) ) ) );
check( 'a v2 entry is not a signature', rejected( verify( array( 'sig' => 'v2,' . substr( STD_SIG, 3 ) ) ) ) );
check( 'a secret that is not base64 is skipped, not an error', rejected( verify( array( 'secrets' => array( 'whsec_***' ) ) ) ) );
check(
	'a rejection never names the secret or the expected signature',
	false === strpos( verify( array( 'body' => '{}' ) )->message, substr( STD_SIG, 3 ) )
);

foreach ( array( 'id' => STD_ID, 'ts' => STD_TS, 'body' => STD_BODY, 'sig' => STD_SIG ) as $part => $value ) {
	$accepted = 0;
	for ( $i = 0, $n = strlen( $value ); $i < $n; $i++ ) {
		$changed      = $value;
		$changed[ $i ] = chr( ord( $value[ $i ] ) ^ 1 );
		$accepted    += true === verify( array( $part => $changed ) ) ? 1 : 0;
	}
	check( "any one-byte change of the {$part} is rejected", 0 === $accepted );
}

// Random headers: never accepted, never anything but a WP_Error.
mt_srand( 1 );
$alphabet = "v1,=+/ \t0123456789abcdefABCDEF\x00\xff";
$bad      = 0;
for ( $i = 0; $i < 20000; $i++ ) {
	$sig = '';
	for ( $j = mt_rand( 0, 120 ); $j > 0; $j-- ) {
		$sig .= $alphabet[ mt_rand( 0, strlen( $alphabet ) - 1 ) ];
	}
	$ts = 0 === $i % 2 ? STD_TS : substr( str_shuffle( $alphabet . '9999' ), 0, mt_rand( 0, 14 ) );
	$r  = verify(
		array(
			'sig' => $sig,
			'ts'  => $ts,
		)
	);
	$bad += rejected( $r ) ? 0 : 1;
}
check( '20000 random signature and timestamp headers are all rejected', 0 === $bad );

check(
	'the wordpress scheme signs the published vector',
	'uHs2k2U0vAUmYr/fApnM8JMBsI8U271PRvU4/UbdEr0=' === Hookgate_Signature::sign_wordpress( 'wp_shared_secret', '1700000000', '{"event":"post.published","post_id":7}' )
);

echo "signature: {$passed} passed, {$failed} failed\n";
exit( $failed > 0 ? 1 : 0 );
