// generator/minisign and generator/dsse: the file formats of minisign's keys and signatures and of
// DSSE envelopes, their strict parsing, and every kind of malformed or wrong key.
#include <catch2/catch.hpp>

#include <string>

#include "generator/dsse.hpp"
#include "generator/minisign.hpp"

using namespace mechcert;

namespace {

std::string raw_of(const std::string& key_text) {
  std::string raw;
  const size_t a = key_text.find('\n') + 1;
  REQUIRE(base64_decode(key_text.substr(a, key_text.find('\n', a) - a), raw));
  return raw;
}

std::string with_raw(const std::string& key_text, const std::string& raw) {
  return key_text.substr(0, key_text.find('\n') + 1) + base64_encode(raw) + "\n";
}

}  // namespace

TEST_CASE("base64: libsodium's standard alphabet with padding, strict", "[minisign]") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  std::string out;
  CHECK(base64_decode("Zm9vYg==", out));
  CHECK(out == "foob");
  CHECK_FALSE(base64_decode("Zm9vYg=", out));   // bad padding
  CHECK_FALSE(base64_decode("Zm9vYh==", out));  // non-zero padding bits
  CHECK_FALSE(base64_decode("Zm9v Yg==", out)); // whitespace
  CHECK_FALSE(base64_decode("Zm9vYg==\n", out));
  CHECK_FALSE(base64_decode("Zm9vYg", out));    // missing padding
}

TEST_CASE("key ids print as minisign prints them (little-endian uint64, upper-case hex)", "[minisign]") {
  CHECK(key_id_hex({0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}) == "EFCDAB8967452301");
  // minisign prints "%" PRIX64: no leading zeros (1 random key in 16 starts with a zero nibble).
  CHECK(key_id_hex({0x36, 0xa3, 0xb7, 0x35, 0xc4, 0x05, 0xa0, 0x0a}) == "AA005C435B7A336");
  CHECK(key_id_hex_padded({0x36, 0xa3, 0xb7, 0x35, 0xc4, 0x05, 0xa0, 0x0a}) == "0AA005C435B7A336");
  CHECK(key_id_hex({0, 0, 0, 0, 0, 0, 0, 0}) == "0");
}

TEST_CASE("a key id with a leading zero: minisign's form is written, the 0.1.0 padded form still reads", "[minisign]") {
  MinisignSecretKey sk = generate_secret_key();
  sk.key_id[7] = 0x0a;  // top nibble zero
  const std::string pub_text = format_public_key(sk.public_key());
  CHECK(pub_text.rfind("untrusted comment: minisign public key A", 0) == 0);
  CHECK(parse_public_key(pub_text, "k.pub").key_id == sk.key_id);
  const std::string padded = "untrusted comment: minisign public key " + key_id_hex_padded(sk.key_id) +
                             pub_text.substr(pub_text.find('\n'));
  CHECK(parse_public_key(padded, "k.pub").key_id == sk.key_id);
  std::string other_id = padded;
  other_id[other_id.find("key 0") + 4] = '1';  // a different id in the comment
  CHECK_THROWS_AS(parse_public_key(other_id, "k.pub"), SignatureError);
  const std::string env = make_envelope(sk, "application/vnd.in-toto+json", "{}");
  CHECK(verify_envelope(sk.public_key(), env, "application/vnd.in-toto+json", "e") == "{}");
  CHECK(key_id_text_matches(key_id_hex_padded(sk.key_id), sk.key_id));
  std::string seventeen_digits(1, '0');
  seventeen_digits += key_id_hex_padded(sk.key_id);
  CHECK_FALSE(key_id_text_matches(seventeen_digits, sk.key_id));
}

TEST_CASE("public and secret keys round-trip; the public key file has minisign's exact form", "[minisign]") {
  const MinisignSecretKey sk = generate_secret_key();
  const std::string pub_text = format_public_key(sk.public_key());
  CHECK(pub_text.rfind("untrusted comment: minisign public key " + key_id_hex(sk.key_id) + "\n", 0) == 0);
  CHECK(raw_of(pub_text).size() == 42);
  const MinisignPublicKey pk = parse_public_key(pub_text, "k.pub");
  CHECK(pk.key_id == sk.key_id);
  CHECK(pk.pk == sk.public_key().pk);
  const MinisignSecretKey back = parse_secret_key(format_secret_key(sk), "k.key");
  CHECK(back.key_id == sk.key_id);
  CHECK(back.sk == sk.sk);
  // Without the final newline (a hand-edited file) the secret key still reads.
  std::string no_nl = format_secret_key(sk);
  no_nl.pop_back();
  CHECK(parse_secret_key(no_nl, "k.key").sk == sk.sk);
}

TEST_CASE("malformed, truncated, wrong-algorithm, encrypted and corrupted keys: one-line errors", "[minisign]") {
  const MinisignSecretKey sk = generate_secret_key();
  const std::string sk_text = format_secret_key(sk);
  const std::string raw = raw_of(sk_text);
  REQUIRE(raw.size() == 158);
  const auto error_of = [](const std::string& text) -> std::string {
    try {
      parse_secret_key(text, "k.key");
      return "";
    } catch (const SignatureError& e) {
      return e.what();
    }
  };
  CHECK_THAT(error_of(""), Catch::Contains("not a minisign secret key"));
  CHECK_THAT(error_of("hello\n"), Catch::Contains("not a minisign secret key"));
  CHECK_THAT(error_of(sk_text.substr(0, sk_text.size() / 2)), Catch::Contains("not a minisign secret key"));
  CHECK_THAT(error_of(with_raw(sk_text, raw.substr(0, 150))), Catch::Contains("truncated"));
  std::string r = raw;
  r[0] = 'X';
  CHECK_THAT(error_of(with_raw(sk_text, r)), Catch::Contains("unsupported"));
  r = raw;
  r[2] = 'S';
  r[3] = 'c';
  CHECK_THAT(error_of(with_raw(sk_text, r)), Catch::Contains("password-protected"));
  r = raw;
  r[100] ^= 1;  // inside sk: checksum no longer matches
  CHECK_THAT(error_of(with_raw(sk_text, r)), Catch::Contains("checksum"));
  r = raw;
  for (size_t i = 126; i < 158; ++i) r[i] = 0;  // minisign -G -W style zero checksum...
  CHECK(error_of(with_raw(sk_text, r)).empty());
  r[120] ^= 1;  // ...then a changed public half is caught by the seed check
  CHECK_THAT(error_of(with_raw(sk_text, r)), Catch::Contains("inconsistent"));
  for (const std::string& e : {error_of(""), error_of(with_raw(sk_text, raw.substr(0, 150)))})
    CHECK(e.find('\n') == std::string::npos);
}

TEST_CASE("a public key file changed in any byte is refused, or is another key that verifies nothing", "[minisign]") {
  const MinisignSecretKey sk = generate_secret_key();
  const std::string pub_text = format_public_key(sk.public_key());
  const std::string sig = sign_minisig(sk, "m", "c", "t");
  size_t refused = 0;
  for (size_t i = 0; i < pub_text.size(); ++i) {
    std::string t = pub_text;
    t[i] = static_cast<char>(t[i] ^ 0x01);
    try {
      const MinisignPublicKey k = parse_public_key(t, "k.pub");  // a different, well-formed key
      CHECK_THROWS_AS(verify_minisig(k, "m", sig, "m.minisig"), SignatureError);
    } catch (const SignatureError&) {
      ++refused;
    }
  }
  CHECK(refused >= pub_text.find('\n') + 1);  // at least every byte of the comment line
  CHECK_THROWS_AS(parse_public_key(pub_text + "\n", "k.pub"), SignatureError);
  CHECK_THROWS_AS(parse_public_key(pub_text.substr(0, pub_text.size() - 1), "k.pub"), SignatureError);
}

TEST_CASE("minisig: sign, verify, and any change to message, signature or key fails", "[minisign]") {
  const MinisignSecretKey sk = generate_secret_key(), other = generate_secret_key();
  const std::string msg = "the certificate bytes\n";
  const std::string sig = sign_minisig(sk, msg, "signature from test", "trusted words\tand a tab");
  const VerifiedMinisig v = verify_minisig(sk.public_key(), msg, sig, "m.minisig");
  CHECK(v.trusted_comment == "trusted words\tand a tab");
  CHECK(v.untrusted_comment == "signature from test");
  CHECK_THROWS_WITH(verify_minisig(other.public_key(), msg, sig, "m.minisig"),
                    Catch::Contains("signed by key"));
  MinisignPublicKey same_id = other.public_key();
  same_id.key_id = sk.key_id;  // another key claiming the same id
  CHECK_THROWS_WITH(verify_minisig(same_id, msg, sig, "m.minisig"),
                    Catch::Contains("verification failed"));
  CHECK_THROWS_AS(verify_minisig(sk.public_key(), msg + "x", sig, "m.minisig"), SignatureError);
  const size_t comment_end = sig.find('\n');
  for (size_t i = comment_end; i < sig.size(); ++i) {  // the untrusted comment is not signed
    std::string t = sig;
    t[i] = static_cast<char>(t[i] ^ 0x01);
    CHECK_THROWS_AS(verify_minisig(sk.public_key(), msg, t, "m.minisig"), SignatureError);
  }
  CHECK_THROWS_AS(sign_minisig(sk, msg, "two\nlines", "x"), std::runtime_error);
}

TEST_CASE("DSSE: PAE as the specification's example; envelopes verify and refuse changes", "[dsse]") {
  CHECK(dsse_pae("http://example.com/HelloWorld", "hello world") ==
        "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  CHECK(dsse_pae("", "") == "DSSEv1 0  0 ");
  const MinisignSecretKey sk = generate_secret_key(), other = generate_secret_key();
  const std::string env = make_envelope(sk, "application/vnd.in-toto+json", "{\"a\":1}");
  CHECK(verify_envelope(sk.public_key(), env, "application/vnd.in-toto+json", "e") == "{\"a\":1}");
  CHECK_THROWS_WITH(verify_envelope(sk.public_key(), env, "text/plain", "e"), Catch::Contains("payloadType"));
  CHECK_THROWS_WITH(verify_envelope(other.public_key(), env, "application/vnd.in-toto+json", "e"),
                    Catch::Contains("signed by key"));
  for (size_t i = 0; i < env.size(); ++i) {
    std::string t = env;
    t[i] = static_cast<char>(t[i] ^ 0x01);
    CHECK_THROWS_AS(verify_envelope(sk.public_key(), t, "application/vnd.in-toto+json", "e"), SignatureError);
  }
}
