// Package tesths runs a real Dendrite homeserver for end-to-end tests and
// provides a Matrix test client with a background /sync loop.
//
// A test starts a fresh homeserver with Start, creates users with
// RegisterUser and waits for what it expects with Client.WaitFor. Nothing here
// sleeps to synchronise: waiters are woken by the sync loop.
//
// The dendrite binary is built by scripts/setup.sh (run by `make test`) into
// .tools/bin; IGBRIDGE_DENDRITE overrides its location.
package tesths
