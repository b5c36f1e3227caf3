package simulator

// frameSplitter frames the gateway's replies: "##", four length digits,
// the segment, four CRC digits and an optional CR LF / LF (HJ 212-2017
// §6.3.1). Bytes before a "##" are skipped.
// TODO: use hj212.Splitter once it lands.
type frameSplitter struct{}

// Split has the shape of a bufio.SplitFunc.
func (frameSplitter) Split(data []byte, atEOF bool) (int, []byte, error) {
	i := 0
	for i+1 < len(data) && !(data[i] == '#' && data[i+1] == '#') {
		i++
	}
	if i > 0 {
		return i, nil, nil // skip garbage
	}
	if len(data) < 6 {
		return 0, nil, nil
	}
	n := 0
	for _, c := range data[2:6] {
		if c < '0' || c > '9' {
			return 2, nil, nil // not a frame start: resynchronise
		}
		n = n*10 + int(c-'0')
	}
	end := 6 + n + 4
	if len(data) < end {
		return 0, nil, nil
	}
	adv := end
	if adv < len(data) && data[adv] == '\r' {
		adv++
	}
	if adv < len(data) && data[adv] == '\n' {
		adv++
	} else if adv == len(data) && !atEOF && data[adv-1] == '\r' {
		return 0, nil, nil
	}
	return adv, data[:end], nil
}
