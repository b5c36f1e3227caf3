package hj212_test

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/ecowatch/ecowatch/hj212"
)

func ExampleDecode() {
	frame := []byte("##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1c80\r\n")
	var f hj212.Frame
	if err := hj212.Decode(frame, &f, hj212.Options{Mode: hj212.Tolerant}); err != nil {
		fmt.Println(err)
		return
	}
	v, _ := f.Get("RtdInterval")
	fmt.Printf("CN %s from %s, edition %s, RtdInterval %s s, CRC ok %v, deviations %v\n",
		f.CN, f.MN, f.Version, v, f.CRCOK, f.Deviations.Strings())

	// The same frame in Strict mode: the lowercase CRC is rejected.
	err := hj212.Decode(frame, &f, hj212.Options{Mode: hj212.Strict})
	fmt.Println(err)
	// Output:
	// CN 1062 from 010000A8900016F000169DC0, edition 2017, RtdInterval 30 s, CRC ok true, deviations [lowercase-crc]
	// hj212: offset 107: field CRC: CRC uses lowercase hex digits
}

func ExampleAppendReply() {
	var req hj212.Frame
	_ = hj212.Decode([]byte("##0137QN=20160801085857223;ST=32;CN=2081;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&DataTime=20160801085857;RestartTime=20160801085624&&9AC1\r\n"), &req, hj212.Options{})
	if req.NeedsAck() {
		fmt.Printf("%q\n", hj212.AppendReply(nil, &req, hj212.CNDataAnswer, ""))
	}
	// Output:
	// "##0087QN=20160801085857223;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&3240\r\n"
}

func ExampleMessage_AppendFrame() {
	m := hj212.Message{
		QN: "20240315103000123", ST: "31", CN: "2011", PW: "123456", MN: "010000A8900016F000169DC0", Flag: 5,
		CP: []hj212.KV{{Key: "DataTime", Value: "20240315103000"}, {Key: "a21026-Rtd", Value: "15.3"}, {Key: "a21026-Flag", Value: "N"}},
	}
	fmt.Printf("%q\n", m.AppendFrame(nil))
	// Output:
	// "##0140QN=20240315103000123;ST=31;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&DataTime=20240315103000;a21026-Rtd=15.3,a21026-Flag=N&&B681\r\n"
}

func ExampleSplitter() {
	stream := "garbage##0087QN=20160801085857223;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&3240\r\n" +
		"##0087QN=20160801085857223;ST=91;CN=9013;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&2A80\r\n"
	sp := &hj212.Splitter{MaxSegment: 1024}
	sc := bufio.NewScanner(strings.NewReader(stream))
	sc.Buffer(make([]byte, 0, 4096), sp.MaxFrame())
	sc.Split(sp.Split)
	var f hj212.Frame
	for sc.Scan() {
		if err := hj212.Decode(sc.Bytes(), &f, hj212.Options{Mode: hj212.Strict}); err == nil {
			fmt.Println(string(f.CN))
		}
	}
	fmt.Println("frames", sp.Frames, "garbage bytes", sp.GarbageBytes)
	// Output:
	// 9014
	// 9013
	// frames 2 garbage bytes 7
}
