package main

import (
	"github.com/rs/zerolog"
	"maunium.net/go/mautrix/bridgev2/matrix"
	"maunium.net/go/mautrix/bridgev2/matrix/mxmain"
)

// outdatedServerMsg is what mautrix's Matrix connector logs when the homeserver's newest spec
// version is older than matrix.MinSpecVersion. It logs it as an error even when
// --ignore-unsupported-server tells it to go on.
const outdatedServerMsg = "The homeserver is outdated (supported spec versions are below minimum required by bridge)"

// explainIgnoredSpecVersion turns that error into one info line saying why it is ignored, when
// --ignore-unsupported-server is given (the dev set-up's Dendrite speaks v1.2, and every endpoint
// igbridge uses exists there). Without the flag the bridge still stops with that error.
func explainIgnoredSpecVersion(m *mxmain.BridgeMain) {
	if !m.Matrix.IgnoreUnsupportedServer {
		return
	}
	log := withIgnoredSpecVersion(*m.Matrix.Log, func() string {
		if m.Matrix.SpecVersions == nil {
			return "unknown"
		}
		return m.Matrix.SpecVersions.GetLatest().String()
	})
	m.Matrix.Log = &log
}

// withIgnoredSpecVersion returns log with a hook that replaces outdatedServerMsg by an info line;
// serverLatest gives the homeserver's newest spec version when it is logged.
func withIgnoredSpecVersion(log zerolog.Logger, serverLatest func() string) zerolog.Logger {
	plain := log
	return log.Hook(zerolog.HookFunc(func(e *zerolog.Event, level zerolog.Level, msg string) {
		if level != zerolog.ErrorLevel || msg != outdatedServerMsg {
			return
		}
		e.Discard()
		plain.Info().
			Str("server_supports", serverLatest()).
			Stringer("bridge_requires", matrix.MinSpecVersion).
			Msg("The homeserver advertises an older Matrix spec version than the bridge asks for; going on because of --ignore-unsupported-server")
	}))
}
