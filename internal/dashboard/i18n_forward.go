package dashboard

// forwardMessages are the labels of the forwarding page, merged into
// messages at start.
var forwardMessages = map[string][2]string{
	"fwd.title":       {"数据转发", "Forwarding"},
	"fwd.intro":       {"本平台作为数据转发方，将选定企业的监测数据按 HJ 212-2017 转发至上级平台；数据在入库的同一事务中进入转发队列，上级平台应答（9014）后才移出队列。", "This platform forwards the chosen enterprises' monitoring data to upper platforms over HJ 212-2017; an upload enters the outbound queue in the transaction that stores it and leaves it only when the upper platform acknowledges it (9014)."},
	"fwd.target":      {"上级平台", "Upper platform"},
	"fwd.address":     {"地址", "Address"},
	"fwd.link":        {"连接", "Link"},
	"fwd.up":          {"已连接", "connected"},
	"fwd.down":        {"未连接", "disconnected"},
	"fwd.stale":       {"转发服务未运行", "forwarder not running"},
	"fwd.depth":       {"待转发", "Queued"},
	"fwd.lag":         {"最早待转发数据已等待", "Oldest waiting for"},
	"fwd.lastack":     {"最近应答", "Last acknowledgement"},
	"fwd.sent":        {"已发送", "Sent"},
	"fwd.acked":       {"已应答", "Acknowledged"},
	"fwd.resent":      {"重发", "Resent"},
	"fwd.errors":      {"错误", "Errors"},
	"fwd.evicted":     {"超限淘汰", "Evicted"},
	"fwd.lasterr":     {"最近错误", "Last error"},
	"fwd.never":       {"从未", "never"},
	"fwd.none":        {"未配置转发。以 serve --forward-config 指定上级平台配置文件后，此处列出各上级平台的连接、积压和应答情况。", "No forwarding is configured. Start serve with --forward-config naming the upper platforms' file; each platform's link, queue and acknowledgements are listed here."},
	"fwd.counters":    {"计数自转发服务本次启动起累计。", "Counts since the forwarder last started."},
	"fwd.seconds":     {"%d 秒", "%d s"},
	"fwd.minutes":     {"%d 分钟", "%d min"},
	"fwd.hours":       {"%.1f 小时", "%.1f h"},
	"fwd.days":        {"%.1f 天", "%.1f days"},
	"fwd.err.connect": {"无法连接上级平台", "cannot connect to the upper platform"},
	"fwd.err.noack":   {"超时未应答，已按重发次数重发后重连", "no acknowledgement after the retries; reconnected"},
	"fwd.err.store":   {"读写转发队列失败", "outbound queue error"},
	"fwd.err.link":    {"连接中断", "connection lost"},
	"mon.forwarding":  {"数据转发", "Forwarding"},
}

func init() {
	for k, v := range forwardMessages {
		messages[k] = v
	}
}
