package rightsreport

import (
	"strings"

	"github.com/ecowatch/ecowatch/internal/rights"
	"github.com/ecowatch/ecowatch/internal/workbook"
)

// word is a cell that names something in Chinese and English; the
// workbook writes the one of its language.
type word [2]string

func (w word) in(l workbook.Lang) string { return l.Pair(w) }

// lookup returns the word of a code, or the code itself in both languages.
func lookup(m map[string]word, code string) word {
	if w, ok := m[code]; ok {
		return w
	}
	return word{code, code}
}

var pollutantWords = map[string]word{
	"NOx": {"氮氧化物", "NOx"}, "SO2": {"二氧化硫", "SO₂"}, "COD": {"化学需氧量", "COD"}, "NH3-N": {"氨氮", "NH₃-N"},
	"VOCs": {"挥发性有机物", "VOCs"}, "TN": {"总氮", "total nitrogen"}, "TP": {"总磷", "total phosphorus"}, "PM": {"颗粒物", "particulate matter"},
	rights.Money: {"资金（元）", "money (yuan)"},
}

// regionWords name the reservoir rows' non-county regions.
var regionWords = map[string]word{"city": {"市级", "city"}, "reserve": {"政府储备", "reserve"}}

var opWords = map[string]word{
	rights.OpIssue: {"确权", "issue"}, rights.OpMint: {"减排量入库", "banked reduction"}, rights.OpEscrow: {"托管", "escrow"},
	rights.OpReturn: {"退回", "return"}, rights.OpDeliver: {"交割", "delivery"}, rights.OpGrant: {"出让", "grant"},
	rights.OpWriteOff: {"核销", "write-off"}, rights.OpTransfer: {"划转", "transfer"}, rights.OpBuyBack: {"回购", "buy-back"},
	rights.OpRetire: {"注销", "retirement"}, rights.OpExpire: {"到期", "expiry"}, rights.OpFee: {"有偿使用费", "paid-use fee"},
	rights.OpTrade: {"挂牌交易", "order-book trade"}, rights.OpAuction: {"拍卖", "auction"}, rights.OpAgreement: {"协议转让", "negotiated transfer"},
	rights.OpPayment: {"价款", "payment"},
}

var cmdWords = map[string]word{
	"configure": {"配置", "configure"}, "allocate_permit": {"许可分配", "allocate permit"},
	"declare_reduction": {"申报减排量", "declare reduction"}, "review_reduction": {"审核减排量", "review reduction"},
	"confirm_reduction": {"确认减排量", "confirm reduction"}, "reserve_allocation": {"预留配置", "reserve allocation"},
	"lock_allocation": {"锁定配置", "lock allocation"}, "grant_allocation": {"出让配置", "grant allocation"},
	"writeoff_allocation": {"核销配置", "write off allocation"}, "release_allocation": {"释放配置", "release allocation"},
	"place_order": {"挂牌", "place order"}, "cancel_order": {"撤牌", "cancel order"}, "open_auction": {"发起拍卖", "open auction"},
	"bid_auction": {"竞价", "bid"}, "close_auction": {"结束拍卖", "close auction"}, "agreement": {"协议转让", "negotiated transfer"},
	"transfer": {"划转", "transfer"}, "buyback": {"回购", "buy-back"}, "retire": {"注销", "retire"}, "expire": {"到期处理", "expire"},
}

var allocStatusWords = map[string]word{
	rights.AllocReserved: {"预留", "reserved"}, rights.AllocLocked: {"锁定", "locked"}, rights.AllocGranted: {"已出让", "granted"},
	rights.AllocWrittenOff: {"已核销", "written off"}, rights.AllocReleased: {"已释放", "released"},
}

var attainmentWords = map[string]word{
	rights.Attain: {"达标区", "attainment area"}, rights.NonAttain: {"不达标区", "non-attainment area"},
}

// accountWord names a ledger account by its kind; the enterprise's credit
// code and the county's code stay as the identifying part.
func accountWord(a rights.Account) word {
	s := string(a)
	switch {
	case a == "":
		return word{}
	case a == rights.City:
		return word{"市级调蓄库", "city reservoir"}
	case a == rights.Reserve:
		return word{"政府储备", "government reserve"}
	case a == rights.Issuance:
		return word{"初始确权", "issuance"}
	case a == rights.Reduction:
		return word{"减排入库", "banked reductions"}
	case a == rights.Retired:
		return word{"已注销", "retired"}
	case a == rights.Expired:
		return word{"已过期", "expired"}
	case a == rights.WrittenOff:
		return word{"已核销", "written off"}
	case a == rights.Treasury:
		return word{"财政非税收入", "treasury"}
	case strings.HasPrefix(s, "ent:"):
		return word{"企业 " + s[4:], "enterprise " + s[4:]}
	case strings.HasPrefix(s, "county:"):
		return word{"区县调蓄库 " + s[7:], "county reservoir " + s[7:]}
	case strings.HasPrefix(s, "escrow:"):
		return word{"托管 " + s[7:], "escrow " + s[7:]}
	}
	return word{s, s}
}
