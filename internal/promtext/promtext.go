// Package promtext reads the Prometheus text format for tests: every sample of a scrape by its
// name and labels, as written (`name{label="value"}`).
package promtext

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Scrape fetches a metrics page and parses it.
func Scrape(url string) (map[string]float64, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, fmt.Errorf("failed to scrape %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scraping %s answered status %d", url, resp.StatusCode)
	}
	return Parse(resp.Body)
}

// Parse reads the samples of a page, skipping comments (HELP and TYPE lines).
func Parse(r io.Reader) (map[string]float64, error) {
	samples := map[string]float64{}
	scanner := bufio.NewScanner(r)
	for scanner.Scan() {
		line := scanner.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			return nil, fmt.Errorf("bad sample %q: no value", line)
		}
		value, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			return nil, fmt.Errorf("bad sample %q: %w", line, err)
		}
		samples[line[:i]] = value
	}
	if err := scanner.Err(); err != nil {
		return nil, fmt.Errorf("failed to read the samples: %w", err)
	}
	return samples, nil
}
