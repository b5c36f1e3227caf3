// Package forward is the pure engine of forwarding to upper platforms
// (数据转发): ecowatch, as an HJ 212 client, sends the data of chosen
// devices to provincial or national platforms. It holds the targets'
// configuration and its validation, the choice of devices and data types,
// the frames built from stored uploads, the rules of acknowledgement,
// timeout and retransmission of HJ 212-2017 §6.2 and §6.5, and the
// reading of the upper platform's requests. It imports no store, no
// network and no clock: forwardsvc runs it on the store.
package forward
