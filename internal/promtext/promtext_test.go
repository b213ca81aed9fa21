package promtext

import (
	"math"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	page := "# HELP x_total Things.\n# TYPE x_total counter\nx_total 3\n" +
		`y_seconds_bucket{le="+Inf"} 1.5` + "\n\nz NaN\n"
	got, err := Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got["x_total"] != 3 || got[`y_seconds_bucket{le="+Inf"}`] != 1.5 || !math.IsNaN(got["z"]) {
		t.Errorf("Parse = %v", got)
	}
	if _, err = Parse(strings.NewReader("x_total three\n")); err == nil {
		t.Error("a sample without a number was accepted")
	}
	if _, err = Parse(strings.NewReader("x_total\n")); err == nil {
		t.Error("a sample without a value was accepted")
	}
}
