package integration

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/starsesim/esimstore/app"
	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/internal/dev/testenv"
	"github.com/starsesim/esimstore/telegram"
)

// A workflow history read without the payload keys — the way anyone with
// access to the Temporal server, its database or a UI without the codec
// reads it — holds no activation code, ICCID or buyer name. The order goes
// the longest way that carries them: bought, delivered, then refunded by
// support with the bundle revoked (the revoke's input names the ICCID).
func TestHistoryReadRawHoldsNoSecrets(t *testing.T) {
	s := startStore(t, nil)
	buyer := telegram.User{ID: 5_081_234_567, FirstName: "Zoë-Marguerite", LastName: "Quillfeather <Ops> & Co",
		Username: "zoe_quillfeather", LanguageCode: "en"}
	c := s.buy(buyer, planGB)
	s.mustPay(c, buyer)
	v := s.waitStatus(buyer, c.OrderID, "fulfilled", 30*time.Second)
	if v.ESIM == nil || v.ESIM.ICCID == "" || !strings.HasPrefix(v.ESIM.LPA, "LPA:1$") {
		t.Fatalf("delivered eSIM %+v", v.ESIM)
	}
	if code := s.call("POST", "/admin/orders/"+c.OrderID+"/refund", s.admin(), map[string]string{"reason": "trip cancelled"}, nil); code != 202 {
		t.Fatalf("refund: %d", code)
	}
	s.waitStatus(buyer, c.OrderID, "refunded", 30*time.Second)
	ctx := context.Background()
	if err := s.App.Temporal.GetWorkflow(ctx, contract.WorkflowID(c.OrderID), "").Get(ctx, nil); err != nil {
		t.Fatalf("wait for the run to close: %v", err)
	}

	// A client without the codec reads the raw events.
	raw := testenv.Client(t)
	iter := raw.GetWorkflowHistory(ctx, contract.WorkflowID(c.OrderID), "", false, 0)
	var events []*historypb.HistoryEvent
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, ev)
	}
	w := walker{}
	for _, ev := range events {
		w.collect(ev.ProtoReflect(), false)
	}
	text, payloads := w.text.Bytes(), w.payloads
	secrets := map[string]string{
		"activation code":       "LPA:1$",
		"matching id":           v.ESIM.MatchingID,
		"ICCID":                 v.ESIM.ICCID,
		"buyer's first name":    buyer.FirstName,
		"buyer's last name":     "Quillfeather",
		"buyer's username":      buyer.Username,
		"support refund reason": "trip cancelled",
	}
	for what, secret := range secrets {
		if bytes.Contains(text, []byte(secret)) {
			t.Errorf("the raw history shows the %s (%q)", what, secret)
		}
	}
	if len(payloads) < 10 || len(w.searchAttributes) == 0 {
		t.Fatalf("%d payloads and %d search attributes in %d events: the walk missed them", len(payloads), len(w.searchAttributes), len(events))
	}
	for _, p := range payloads {
		if enc := string(p.GetMetadata()[converter.MetadataEncoding]); enc != "binary/encrypted" {
			t.Errorf("a payload is stored as %q, not encrypted", enc)
			break
		}
	}

	// The check can fail: decrypted with the store's keys, the same history
	// holds every one of them.
	dc, err := app.DataConverter(s.Cfg)
	if err != nil {
		t.Fatal(err)
	}
	var decoded bytes.Buffer
	for _, p := range payloads {
		decoded.WriteString(dc.ToString(p))
	}
	// (The buyer's name never enters a workflow at all; the raw check
	// above catches it if that ever changes.)
	for _, what := range []string{"activation code", "matching id", "ICCID", "support refund reason"} {
		if !bytes.Contains(decoded.Bytes(), []byte(secrets[what])) {
			t.Errorf("the decrypted history lacks the %s (%q): the raw check proves nothing about it", what, secrets[what])
		}
	}

	// Search attributes stay plain: operators filter on them without keys.
	desc, err := raw.DescribeWorkflowExecution(ctx, contract.WorkflowID(c.OrderID), "")
	if err != nil {
		t.Fatal(err)
	}
	var userID int64
	p := desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()[contract.AttrUserID.GetName()]
	if err := converter.GetDefaultDataConverter().FromPayload(p, &userID); err != nil || userID != buyer.ID {
		t.Errorf("TelegramUserId read without keys = %d (%v), want %d", userID, err, buyer.ID)
	}
}

// walker gathers every string and bytes field of a message (recursively)
// as text, every payload, and apart from those the search attributes,
// which are meant to stay plain.
type walker struct {
	text             bytes.Buffer
	payloads         []*commonpb.Payload
	searchAttributes []*commonpb.Payload
}

func (w *walker) collect(m protoreflect.Message, inSearchAttributes bool) {
	if _, ok := m.Interface().(*commonpb.SearchAttributes); ok {
		inSearchAttributes = true
	}
	if p, ok := m.Interface().(*commonpb.Payload); ok {
		p = proto.Clone(p).(*commonpb.Payload)
		if inSearchAttributes {
			w.searchAttributes = append(w.searchAttributes, p)
		} else {
			w.payloads = append(w.payloads, p)
		}
	}
	value := func(fd protoreflect.FieldDescriptor, v protoreflect.Value) {
		switch fd.Kind() {
		case protoreflect.MessageKind, protoreflect.GroupKind:
			w.collect(v.Message(), inSearchAttributes)
		case protoreflect.BytesKind:
			w.text.Write(v.Bytes())
		case protoreflect.StringKind:
			w.text.WriteString(v.String())
		}
		w.text.WriteByte(0)
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList():
			for i := 0; i < v.List().Len(); i++ {
				value(fd, v.List().Get(i))
			}
		case fd.IsMap():
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				w.text.WriteString(k.String())
				value(fd.MapValue(), mv)
				return true
			})
		default:
			value(fd, v)
		}
		return true
	})
}
