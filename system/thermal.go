package system

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Temperature is one thermal zone's reading, from /sys/class/thermal.
type Temperature struct {
	Zone    string  // "thermal_zone0"
	Type    string  // what the driver says it measures, such as "cpu-thermal"
	Celsius float64 // degrees Celsius
}

// Temperatures reads every thermal zone. Zones whose sensor cannot be read
// right now (drivers answer EINVAL or ENODATA while a device sleeps) are
// left out; if every zone fails, the first failure is returned.
func (f FS) Temperatures() ([]Temperature, error) {
	const what = "temperatures"
	dir := f.sys("class", "thermal")
	zones, err := filepath.Glob(filepath.Join(dir, "thermal_zone*"))
	if err != nil {
		return nil, wrapErr(what, err)
	}
	if len(zones) == 0 {
		return nil, fmt.Errorf("system: %s: %w (no thermal zones in %s)", what, ErrUnavailable, dir)
	}
	slices.SortFunc(zones, func(a, b string) int { return cmp.Compare(zoneNumber(a), zoneNumber(b)) })
	var out []Temperature
	var errs []error
	for _, zone := range zones {
		t, err := readZone(zone)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, wrapErr(what, errs[0])
	}
	return out, nil
}

func readZone(zone string) (Temperature, error) {
	raw, err := os.ReadFile(filepath.Join(zone, "temp"))
	if err != nil {
		return Temperature{}, err
	}
	milli, err := strconv.ParseInt(strings.TrimSpace(string(raw)), 10, 64)
	if err != nil {
		return Temperature{}, fmt.Errorf("%s/temp: %q is not millidegrees", zone, strings.TrimSpace(string(raw)))
	}
	typ, err := os.ReadFile(filepath.Join(zone, "type"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return Temperature{}, err
	}
	return Temperature{Zone: filepath.Base(zone), Type: strings.TrimSpace(string(typ)), Celsius: float64(milli) / 1000}, nil
}

// zoneNumber orders thermal_zone10 after thermal_zone9.
func zoneNumber(path string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(path), "thermal_zone"))
	if err != nil {
		return -1
	}
	return n
}
