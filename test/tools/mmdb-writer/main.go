// Command egts-mmdb writes a MaxMind DB (.mmdb) file from a JSON description, for tests that need a GeoIP
// database Envoy's MaxMind provider can read (the real ones are licensed and large).
//
// Usage: egts-mmdb <out.mmdb> < description.json
//
// The description: {"databaseType": "GeoIP2-City", "networks": [{"cidr": "127.0.0.0/24", "data": {...}}]}.
// JSON values map to MaxMind DB types: objects to maps, arrays to slices, strings to strings, booleans to
// booleans, whole numbers to uint32 (as MaxMind's autonomous_system_number) and other numbers to doubles.
// Reserved networks (loopback, private ranges) are allowed, since tests run on them.
package main

import (
	"encoding/json"
	"fmt"
	"math"
	"net"
	"os"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

type description struct {
	DatabaseType string `json:"databaseType"`
	Networks     []struct {
		CIDR string         `json:"cidr"`
		Data map[string]any `json:"data"`
	} `json:"networks"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: egts-mmdb <out.mmdb> < description.json")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "egts-mmdb:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	var d description
	if err := json.NewDecoder(os.Stdin).Decode(&d); err != nil {
		return fmt.Errorf("reading the description: %w", err)
	}
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType:            d.DatabaseType,
		IncludeReservedNetworks: true,
		Languages:               []string{"en"},
	})
	if err != nil {
		return err
	}
	for _, n := range d.Networks {
		_, network, err := net.ParseCIDR(n.CIDR)
		if err != nil {
			return fmt.Errorf("network %q: %w", n.CIDR, err)
		}
		value, err := toMMDB(n.Data)
		if err != nil {
			return fmt.Errorf("network %q: %w", n.CIDR, err)
		}
		if err := tree.Insert(network, value); err != nil {
			return fmt.Errorf("network %q: %w", n.CIDR, err)
		}
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if _, err := tree.WriteTo(f); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// toMMDB converts a decoded JSON value to its MaxMind DB type.
func toMMDB(v any) (mmdbtype.DataType, error) {
	switch x := v.(type) {
	case map[string]any:
		m := mmdbtype.Map{}
		for k, e := range x {
			c, err := toMMDB(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			m[mmdbtype.String(k)] = c
		}
		return m, nil
	case []any:
		s := make(mmdbtype.Slice, 0, len(x))
		for i, e := range x {
			c, err := toMMDB(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			s = append(s, c)
		}
		return s, nil
	case string:
		return mmdbtype.String(x), nil
	case bool:
		return mmdbtype.Bool(x), nil
	case float64:
		if x >= 0 && x <= math.MaxUint32 && x == math.Trunc(x) {
			return mmdbtype.Uint32(uint32(x)), nil
		}
		return mmdbtype.Float64(x), nil
	default:
		return nil, fmt.Errorf("unsupported JSON value %v", v)
	}
}
