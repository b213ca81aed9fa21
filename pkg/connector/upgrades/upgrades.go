// Package upgrades holds the numbered SQL migrations of igbridge's own tables, which live in the
// same database as bridgev2's and are versioned in their own table.
package upgrades

import (
	"embed"

	"go.mau.fi/util/dbutil"
)

//go:embed *.sql
var files embed.FS

// Table is the upgrade table for the igbridge_version section.
var Table = dbutil.BuildUpgradeTable().WithFS(files).Finish()
