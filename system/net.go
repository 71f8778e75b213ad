package system

import (
	"bufio"
	"bytes"
	"strings"
)

// NetInterface holds one network interface's counters since boot, from
// /proc/net/dev.
type NetInterface struct {
	Name                                    string
	RxBytes, RxPackets, RxErrors, RxDropped uint64
	TxBytes, TxPackets, TxErrors, TxDropped uint64
}

// NetworkCounters reads the counters of every network interface, in the
// order the kernel lists them.
func (f FS) NetworkCounters() ([]NetInterface, error) {
	const what = "network counters"
	path := f.proc("net", "dev")
	data, err := readFile(what, path)
	if err != nil {
		return nil, err
	}
	var out []NetInterface
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		if n <= 2 { // two header lines
			continue
		}
		// "  eth0: rxbytes rxpackets errs drop fifo frame compressed multicast txbytes txpackets errs drop ..."
		name, rest, ok := strings.Cut(sc.Text(), ":")
		fields := strings.Fields(rest)
		if !ok || len(fields) < 16 {
			return nil, parseError(what, path, "line "+sc.Text())
		}
		v, err := uintFields(fields[:16])
		if err != nil {
			return nil, parseError(what, path, strings.TrimSpace(name)+": "+err.Error())
		}
		out = append(out, NetInterface{
			Name:    strings.TrimSpace(name),
			RxBytes: v[0], RxPackets: v[1], RxErrors: v[2], RxDropped: v[3],
			TxBytes: v[8], TxPackets: v[9], TxErrors: v[10], TxDropped: v[11],
		})
	}
	return out, nil
}
