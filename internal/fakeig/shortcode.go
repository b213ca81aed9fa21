package fakeig

import (
	"math/big"
	"strings"
)

// shortcodeAlphabet is Instagram's base64url-like digit table; a shortcode is
// the media pk written in base 64 with it (yt-dlp's _id_to_pk/_pk_to_id).
const shortcodeAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// privateSuffixLen is how many trailing characters yt-dlp drops from long
// (private) shortcodes before decoding them.
const privateSuffixLen = 28

// CodeToPK returns the numeric media pk yt-dlp derives from a shortcode, or ""
// when the code contains characters outside the alphabet.
func CodeToPK(code string) string {
	if len(code) > privateSuffixLen {
		code = code[:len(code)-privateSuffixLen]
	}
	if code == "" {
		return ""
	}
	n := new(big.Int)
	base := big.NewInt(int64(len(shortcodeAlphabet)))
	for _, r := range code {
		d := strings.IndexRune(shortcodeAlphabet, r)
		if d < 0 {
			return ""
		}
		n.Mul(n, base).Add(n, big.NewInt(int64(d)))
	}
	return n.String()
}

// PKToCode returns the shortcode of a numeric pk (the id yt-dlp reports), or ""
// when pk is not a non-negative decimal number.
func PKToCode(pk string) string {
	n, ok := new(big.Int).SetString(pk, 10)
	if !ok || n.Sign() < 0 {
		return ""
	}
	if n.Sign() == 0 {
		return shortcodeAlphabet[:1]
	}
	base := big.NewInt(int64(len(shortcodeAlphabet)))
	var digits []byte
	mod := new(big.Int)
	for n.Sign() > 0 {
		n.DivMod(n, base, mod)
		digits = append(digits, shortcodeAlphabet[mod.Int64()])
	}
	for i, j := 0, len(digits)-1; i < j; i, j = i+1, j-1 {
		digits[i], digits[j] = digits[j], digits[i]
	}
	return string(digits)
}

// addPK returns pk+delta as a decimal string; carousel children get pks next
// to their parent's.
func addPK(pk string, delta int64) string {
	n, ok := new(big.Int).SetString(pk, 10)
	if !ok {
		return ""
	}
	return n.Add(n, big.NewInt(delta)).String()
}
