package fakeig

import (
	"net"
	"strings"
)

// certNames are the leaf certificate's SANs; evil.example exists for hostile
// media URLs the bridge must refuse.
var certNames = []string{
	"instagram.com", "*.instagram.com",
	"instagr.am", "*.instagr.am",
	"*.cdninstagram.com", "*.fbcdn.net",
	"evil.example",
}

// hostOnly returns the lower-cased host of a Host header or authority, without port.
func hostOnly(hostport string) string {
	h := hostport
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		h = host
	}
	return strings.TrimSuffix(strings.ToLower(h), ".")
}

func isInstagramHost(h string) bool {
	return h == "instagram.com" || strings.HasSuffix(h, ".instagram.com")
}

func isShortHost(h string) bool {
	return h == "instagr.am" || h == "www.instagr.am"
}

func isCDNHost(h string) bool {
	return strings.HasSuffix(h, ".cdninstagram.com") || strings.HasSuffix(h, ".fbcdn.net") || h == "evil.example"
}

// isFakeHost reports whether the fake answers for h; everything else is refused.
// Only names one label below a wildcard SAN qualify, so TLS always verifies.
func isFakeHost(h string) bool {
	if isShortHost(h) || h == "instagram.com" || h == "evil.example" {
		return true
	}
	for _, suffix := range []string{".instagram.com", ".cdninstagram.com", ".fbcdn.net"} {
		if label, ok := strings.CutSuffix(h, suffix); ok && label != "" && !strings.Contains(label, ".") {
			return true
		}
	}
	return false
}
