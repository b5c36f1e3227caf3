// Package hj212 is a pure codec for HJ 212, the Chinese national protocol
// by which pollution-source and environmental-quality monitoring devices
// (data loggers, 数采仪) report to the platform: HJ/T 212-2005,
// HJ 212-2017 and HJ 212-2025. It performs no I/O, reads no clock and
// holds no state beyond constant tables.
//
// # Frames
//
// A frame is "##" + four-digit length + data segment + CRC + CR LF
// (HJ 212-2017 §6.3.1):
//
//	##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80
//
// Decode reads one frame into a reusable Frame whose byte slices alias the
// input, without allocating. Fields are read by name, not position. The
// edition comes from the Flag version bits (4, 5, 6, 7 are 2017; 8, 9 are
// 2025); a frame without Flag is 2005. The CRC is the one of Appendix A,
// which is not CRC-16/MODBUS (see CRC16).
//
// # Strict and Tolerant
//
// Real devices depart from the standard in many ways. In Tolerant mode
// Decode accepts them and records each as a Deviation bit with a stable
// name ("lowercase-crc", "length-mismatch", "epoch-qn", ...); in Strict mode
// it rejects them with a *DecodeError naming the byte offset and field.
// Strict mode still accepts, and records, what the standard's own
// examples do (the space after ';' in Appendix C.25, "i12003-Info =0" in
// C.42, "CP=&& &&" in C.4), unknown pollutant codes and field names (the
// code tables are open; evidence is never dropped over a code), a frame
// handed over without its CR LF, and a Modbus CRC when
// Options.AcceptModbusCRC asks for it. A CRC mismatch is an error in Strict
// mode and Frame.CRCOK = false in Tolerant mode.
//
// Deviations are measured against the edition the frame declares: a
// 2005 frame (no Flag) needs no QN and has a 14-character MN, while a
// 2017 frame missing its QN records "missing-qn".
//
// # Streams, replies and split packets
//
// Splitter is a bufio.SplitFunc that cuts a TCP stream into frames,
// resynchronising on "##" after garbage and bounding what it buffers.
// AppendReply builds the 9011/9012/9013/9014 answers, Message.AppendFrame
// any frame, and Reassembler joins uploads split over several packets
// (PNUM/PNO).
package hj212
