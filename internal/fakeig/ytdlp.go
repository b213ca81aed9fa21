package fakeig

import "strings"

// YtdlpArgs are the yt-dlp flags that route it through the fake and make it
// verify TLS against the system store (where SSL_CERT_FILE points) instead of
// the bundled certifi store.
func (s *Server) YtdlpArgs() []string {
	return []string{"--proxy", s.ProxyURL, "--compat-options", "no-certifi"}
}

// YtdlpEnv returns base without proxy and CA-bundle variables, plus
// SSL_CERT_FILE=CAFile, for running yt-dlp (or any OpenSSL client) against the fake.
func (s *Server) YtdlpEnv(base []string) []string {
	drop := map[string]bool{
		"HTTP_PROXY": true, "HTTPS_PROXY": true, "ALL_PROXY": true, "NO_PROXY": true,
		"SSL_CERT_FILE": true, "SSL_CERT_DIR": true, "REQUESTS_CA_BUNDLE": true, "CURL_CA_BUNDLE": true,
	}
	var env []string
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		if !drop[strings.ToUpper(name)] {
			env = append(env, kv)
		}
	}
	return append(env, "SSL_CERT_FILE="+s.CAFile)
}
