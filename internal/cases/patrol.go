package cases

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"
)

// TrackPoint is one position of a patrol's track (巡河轨迹), as the
// patroller's phone reported it (WGS-84 degrees; Acc the accuracy radius
// in metres).
type TrackPoint struct {
	T   time.Time `json:"t"`
	Lat float64   `json:"lat"`
	Lon float64   `json:"lon"`
	Acc float64   `json:"acc,omitempty"`
}

// Check refuses a position outside the earth's ranges or without a time.
func (p TrackPoint) Check() error {
	switch {
	case p.T.IsZero():
		return fmt.Errorf("time required: %w", ErrInvalid)
	case math.IsNaN(p.Lat) || p.Lat < -90 || p.Lat > 90:
		return fmt.Errorf("lat %v outside -90..90: %w", p.Lat, ErrInvalid)
	case math.IsNaN(p.Lon) || p.Lon < -180 || p.Lon > 180:
		return fmt.Errorf("lon %v outside -180..180: %w", p.Lon, ErrInvalid)
	case math.IsNaN(p.Acc) || p.Acc < 0:
		return fmt.Errorf("accuracy %v: %w", p.Acc, ErrInvalid)
	}
	return nil
}

// earthRadiusKm is the mean earth radius (IUGG) used by the haversine.
const earthRadiusKm = 6371.0088

// HaversineKm is the great-circle distance between two positions.
func HaversineKm(lat1, lon1, lat2, lon2 float64) float64 {
	rad := math.Pi / 180
	dLat, dLon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusKm * math.Asin(math.Min(1, math.Sqrt(a)))
}

// MaxAccuracy is the accuracy beyond which a position is left out of the
// distance (a phone indoors or without a fix reports hundreds of metres).
const MaxAccuracy = 100.0

// TrackKm is the length of a track: the haversine distance between
// consecutive positions, leaving out positions less accurate than
// MaxAccuracy.
func TrackKm(track []TrackPoint) float64 {
	var km float64
	var prev *TrackPoint
	for i := range track {
		p := &track[i]
		if p.Acc > MaxAccuracy {
			continue
		}
		if prev != nil {
			km += HaversineKm(prev.Lat, prev.Lon, p.Lat, p.Lon)
		}
		prev = p
	}
	return km
}

// PatrolRecord is what the statistics need of one patrol.
type PatrolRecord struct {
	County   string
	Start    time.Time
	Km       float64
	Findings int
	Closed   int // cases opened by its findings that are closed
}

// PatrolMonth is a county's patrol statistics of a month (China Standard
// Time).
type PatrolMonth struct {
	County   string  `json:"county"`
	Month    string  `json:"month"` // 2026-03
	Patrols  int     `json:"patrols"`
	Km       float64 `json:"km"`
	Findings int     `json:"findings"`
	Closed   int     `json:"closed"`
}

// PatrolStats sums patrols by county and month, newest month first, then
// by county.
func PatrolStats(rs []PatrolRecord) []PatrolMonth {
	cst := time.FixedZone("CST", 8*3600)
	idx := map[[2]string]int{}
	var out []PatrolMonth
	for _, r := range rs {
		k := [2]string{r.County, r.Start.In(cst).Format("2006-01")}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, PatrolMonth{County: k[0], Month: k[1]})
		}
		m := &out[i]
		m.Patrols++
		m.Km += r.Km
		m.Findings += r.Findings
		m.Closed += r.Closed
	}
	slices.SortFunc(out, func(a, b PatrolMonth) int {
		return cmp.Or(cmp.Compare(b.Month, a.Month), cmp.Compare(a.County, b.County))
	})
	return out
}
