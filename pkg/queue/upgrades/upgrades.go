// Package upgrades holds the numbered SQL migrations of the fetch queue's tables, which live in the
// bridge's database and are versioned in their own table.
package upgrades

import (
	"embed"

	"go.mau.fi/util/dbutil"
)

//go:embed *.sql
var files embed.FS

// Table is the upgrade table for the igbridge_queue_version section.
var Table = dbutil.BuildUpgradeTable().WithFS(files).Finish()
