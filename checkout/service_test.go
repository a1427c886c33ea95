package checkout_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/mock"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"
	"go.temporal.io/sdk/temporal"

	"github.com/starsesim/esimstore/checkout"
	"github.com/starsesim/esimstore/contract"
	"github.com/starsesim/esimstore/internal/dev/testenv"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/workflows"
)

// The checkout service's own logic against a mocked Temporal client (the
// SDK's mocks) and a real ledger: which workflow it starts or updates, with
// which ids, options and inputs, and how it turns Temporal's answers into
// the errors and verdicts its callers act on. The workflows themselves are
// tested in package workflows; the whole stack in package integration.

const (
	botID   = int64(7000000001)
	planGB  = "esim_1GB_7D_GB_V2"
	planBig = "esim_ULP_30D_EU_V2" // priced above a Stars subscription's limit
	planOff = "esim_1GB_7D_FR_V2"  // no longer on sale
	ann     = int64(5_079_065_042) // Telegram user ids exceed 2^32
	bob     = int64(1<<52 - 1)     // the largest id Telegram promises to fit in 52 bits
)

// errOther stands for "an error, but none of the service's sentinels".
var errOther = errors.New("some other error")

func newStore(t *testing.T) *store.Store {
	t.Helper()
	st, _ := testenv.Store(t)
	ctx := context.Background()
	plan := func(id, name string, stars int64) store.Plan {
		return store.Plan{ID: id, Name: name, Countries: []string{"GB"}, DataMB: 1024, DurationDays: 7,
			WholesaleUSD: decimal.RequireFromString("1.36"), PriceUSD: decimal.RequireFromString("1.77"), PriceStars: stars}
	}
	gb, big, off := plan(planGB, "United Kingdom 1 GB <7 days> & more", 137), plan(planBig, "Europe unlimited", 12_000),
		plan(planOff, "France 1 GB", 137)
	if err := st.ReplacePlans(ctx, []store.Plan{gb, big, off}); err != nil {
		t.Fatal(err)
	}
	if err := st.ReplacePlans(ctx, []store.Plan{gb, big}); err != nil { // takes planOff off sale
		t.Fatal(err)
	}
	return st
}

func newService(t *testing.T, st *store.Store) (*checkout.Service, *mocks.Client) {
	tc := mocks.NewClient(t) // fails the test if an expected call is missing or an unexpected one is made
	return &checkout.Service{BotID: botID, Temporal: tc, Store: st, TaskQueue: "esim-orders",
		InvoiceTTL: 30 * time.Minute, FulfilmentDeadline: 30 * time.Minute, SupportWindow: 72 * time.Hour,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, tc
}

// started is what the service asked Temporal to start.
type started struct {
	opts client.StartWorkflowOptions
	wf   any
	in   any
}

// startOp stands in for the SDK's start operation: the mocked
// UpdateWithStartWorkflow never runs it.
type startOp struct{ workflowID string }

func (startOp) Get(context.Context) (client.WorkflowRun, error) {
	return nil, errors.New("a mocked start operation never runs")
}

func expectStart(tc *mocks.Client, got *started) {
	tc.On("NewWithStartWorkflowOperation", mock.Anything, mock.Anything, mock.Anything).
		Return(func(opts client.StartWorkflowOptions, wf any, args ...any) client.WithStartWorkflowOperation {
			got.opts, got.wf, got.in = opts, wf, args[0]
			return &startOp{workflowID: opts.ID}
		}).Once()
}

// expectUpdateWithStart answers UpdateWithStartWorkflow with err, or with a
// handle whose Get does what get does.
func expectUpdateWithStart(t *testing.T, tc *mocks.Client, got *client.UpdateWithStartWorkflowOptions, err error,
	get func(ctx context.Context, valuePtr any) error) {
	var handle client.WorkflowUpdateHandle
	if get != nil {
		h := mocks.NewWorkflowUpdateHandle(t)
		h.On("Get", mock.Anything, mock.Anything).Return(get).Once()
		handle = h
	}
	tc.On("UpdateWithStartWorkflow", mock.Anything, mock.Anything).
		Run(func(a mock.Arguments) { *got = a.Get(1).(client.UpdateWithStartWorkflowOptions) }).
		Return(handle, err).Once()
}

func answer(err error) func(context.Context, any) error {
	return func(context.Context, any) error { return err }
}

func sameFunc(a, b any) bool { return reflect.ValueOf(a).Pointer() == reflect.ValueOf(b).Pointer() }

func checkErr(t *testing.T, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("error %v, want none", err)
	case want == errOther && (err == nil || errors.Is(err, checkout.ErrBusy) || errors.Is(err, checkout.ErrInvoiceFailed) ||
		errors.Is(err, checkout.ErrAlreadyRefunded) || errors.Is(err, checkout.ErrNotPaid)):
		t.Fatalf("error %v, want an error that is none of the service's sentinels", err)
	case want != nil && want != errOther && !errors.Is(err, want):
		t.Fatalf("error %v, want %v", err, want)
	}
}

func order(id string, user int64, plan string, st contract.Status) store.Order {
	return store.Order{ID: id, UserID: user, ChatID: user, PlanID: plan, PlanName: "United Kingdom 1 GB <7 days> & more",
		Status: st, PriceUSD: decimal.RequireFromString("1.77"), PriceStars: 137,
		QuoteExpiresAt: time.Now().Add(30 * time.Minute), LanguageCode: "ru", Source: contract.SourceMiniApp}
}

func TestCreateStartsTheOrderWorkflow(t *testing.T) {
	svc, tc := newService(t, newStore(t))
	req := checkout.CreateRequest{UserID: ann, ChatID: ann, LanguageCode: "ru", PlanID: planGB,
		Source: contract.SourceMiniApp, IdempotencyKey: "9b2f6c1e-buy"}
	var st started
	var upd client.UpdateWithStartWorkflowOptions
	expectStart(tc, &st)
	expectUpdateWithStart(t, tc, &upd, nil, func(_ context.Context, v any) error {
		in := st.in.(contract.Input)
		*v.(*contract.Invoice) = contract.Invoice{OrderID: in.OrderID, Status: contract.StatusAwaitingPayment,
			InvoiceLink: "https://t.me/$HJ8vQ2xkYEsBAAAA", PriceStars: 137, PriceUSD: "1.77"}
		return nil
	})

	inv, err := svc.Create(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	id := svc.OrderID(req)
	if _, err := uuid.Parse(id); err != nil || inv.OrderID != id || inv.InvoiceLink != "https://t.me/$HJ8vQ2xkYEsBAAAA" {
		t.Fatalf("invoice %+v for order %q", inv, id)
	}
	o := st.opts
	if o.ID != contract.WorkflowID(id) || o.TaskQueue != "esim-orders" ||
		o.WorkflowIDConflictPolicy != enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING ||
		o.WorkflowIDReusePolicy != enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE {
		t.Errorf("start options %+v", o)
	}
	sa := o.TypedSearchAttributes
	status, _ := sa.GetKeyword(contract.AttrStatus)
	user, _ := sa.GetInt64(contract.AttrUserID)
	plan, _ := sa.GetKeyword(contract.AttrPlanID)
	stars, _ := sa.GetInt64(contract.AttrStarsAmount)
	if status != string(contract.StatusAwaitingPayment) || user != ann || plan != planGB || stars != 137 || sa.Size() != 4 {
		t.Errorf("search attributes: status %q user %d plan %q stars %d (%d set)", status, user, plan, stars, sa.Size())
	}
	if !sameFunc(st.wf, workflows.OrderWorkflow) {
		t.Errorf("started %T, want OrderWorkflow", st.wf)
	}
	want := contract.Input{OrderID: id, UserID: ann, ChatID: ann, LanguageCode: "ru", PlanID: planGB,
		Source: contract.SourceMiniApp, InvoiceTTL: 30 * time.Minute, FulfilmentDeadline: 30 * time.Minute,
		SupportWindow: 72 * time.Hour}
	if st.in != want {
		t.Errorf("input %+v, want %+v", st.in, want)
	}
	if op, ok := upd.StartWorkflowOperation.(*startOp); !ok || op.workflowID != o.ID {
		t.Errorf("update-with-start did not use the start operation: %+v", upd.StartWorkflowOperation)
	}
	u := upd.UpdateOptions
	if u.UpdateName != contract.UpdateInvoice || u.UpdateID != "invoice" || u.WaitForStage != client.WorkflowUpdateStageCompleted {
		t.Errorf("update options %+v", u)
	}
}

func TestCreateErrors(t *testing.T) {
	st := newStore(t)
	tests := []struct {
		name string
		plan string
		// seed prepares the ledger for the order id the request names.
		seed     func(t *testing.T, id string)
		temporal bool  // whether Temporal is asked at all
		startErr error // UpdateWithStartWorkflow's error
		getErr   error // the update handle's error
		want     error
		wantLink string // for an invoice answered from the ledger
	}{
		{name: "unknown plan", plan: "esim_nope", want: checkout.ErrPlanNotFound},
		{name: "plan off sale", plan: planOff, want: checkout.ErrPlanNotFound},
		{name: "Temporal past our deadline", plan: planGB, temporal: true,
			startErr: serviceerror.NewDeadlineExceeded("context deadline exceeded"), want: checkout.ErrBusy},
		{name: "invoice past our deadline", plan: planGB, temporal: true, getErr: context.DeadlineExceeded,
			want: checkout.ErrBusy},
		{name: "no invoice could be made", plan: planGB, temporal: true,
			getErr: temporal.NewApplicationError("createInvoiceLink: Bad Request: STARS_INVOICE_INVALID", contract.ErrTypeInvoiceFailed),
			want:   checkout.ErrInvoiceFailed},
		{name: "other start failure", plan: planGB, temporal: true,
			startErr: serviceerror.NewInvalidArgument("search attribute PlanId is not defined"), want: errOther},
		{name: "other update failure", plan: planGB, temporal: true,
			getErr: temporal.NewApplicationError("boom", "SomethingElse"), want: errOther},
		{name: "key reused for another plan", plan: planGB, want: checkout.ErrKeyReused,
			seed: func(t *testing.T, id string) {
				createOrder(t, st, order(id, ann, planBig, contract.StatusAwaitingPayment))
			}},
		{name: "an order with its invoice is answered from the ledger", plan: planGB,
			wantLink: "https://t.me/$ledger", seed: func(t *testing.T, id string) {
				createOrder(t, st, order(id, ann, planGB, contract.StatusAwaitingPayment))
				if err := st.SetInvoiceLink(context.Background(), id, "https://t.me/$ledger"); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "a paid order is answered from the ledger", plan: planGB,
			seed: func(t *testing.T, id string) { createOrder(t, st, order(id, ann, planGB, contract.StatusFulfilled)) }},
		{name: "a closed workflow's order comes from the ledger", plan: planGB, temporal: true,
			startErr: serviceerror.NewWorkflowExecutionAlreadyStarted("workflow execution already started", "", "run-1"),
			seed: func(t *testing.T, id string) {
				createOrder(t, st, order(id, ann, planGB, contract.StatusAwaitingPayment))
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, tc := newService(t, st)
			req := checkout.CreateRequest{UserID: ann, ChatID: ann, PlanID: tt.plan, Source: contract.SourceMiniApp,
				IdempotencyKey: "key " + tt.name}
			id := svc.OrderID(req)
			if tt.seed != nil {
				tt.seed(t, id)
			}
			if tt.temporal {
				var s started
				var upd client.UpdateWithStartWorkflowOptions
				expectStart(tc, &s)
				var get func(context.Context, any) error
				if tt.startErr == nil {
					get = answer(tt.getErr)
				}
				expectUpdateWithStart(t, tc, &upd, tt.startErr, get)
			}
			inv, err := svc.Create(context.Background(), req)
			checkErr(t, err, tt.want)
			if tt.want == nil && (inv.OrderID != id || inv.InvoiceLink != tt.wantLink) {
				t.Errorf("invoice %+v, want order %s with link %q", inv, id, tt.wantLink)
			}
		})
	}
}

func createOrder(t *testing.T, st *store.Store, o store.Order) {
	t.Helper()
	if err := st.CreateOrder(context.Background(), o); err != nil {
		t.Fatal(err)
	}
}

func TestPreCheckout(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	orderID := func() string { return uuid.NewString() }
	subID := func() string { return contract.SubscriptionPrefix + uuid.NewString() }
	tests := []struct {
		name     string
		payload  func() string
		seed     func(t *testing.T, payload string)
		temporal bool
		updErr   error // UpdateWorkflow's error
		getErr   error // the update handle's error
		want     checkout.Verdict
	}{
		{name: "approved by the order's workflow", payload: orderID, temporal: true,
			want: checkout.Verdict{Approved: true}},
		{name: "refused by the workflow, with its reason", payload: orderID, temporal: true,
			getErr: temporal.NewApplicationError(string(contract.RefuseWrongAmount), contract.ErrTypeCheckoutRefused),
			want:   checkout.Verdict{Refusal: contract.RefuseWrongAmount}},
		{name: "closed workflow, no such order", payload: orderID, temporal: true,
			updErr: serviceerror.NewNotFound("workflow not found"), want: checkout.Verdict{Refusal: contract.RefuseUnknown}},
		{name: "closed workflow, order expired", payload: orderID, temporal: true,
			updErr: serviceerror.NewNotFound("workflow not found"), want: checkout.Verdict{Refusal: contract.RefuseExpired},
			seed: func(t *testing.T, id string) { createOrder(t, st, order(id, ann, planGB, contract.StatusExpired)) }},
		{name: "closed workflow, order already paid", payload: orderID, temporal: true,
			updErr: serviceerror.NewNotFound("workflow not found"), want: checkout.Verdict{Refusal: contract.RefuseNotAwaiting},
			seed: func(t *testing.T, id string) { createOrder(t, st, order(id, ann, planGB, contract.StatusFulfilled)) }},
		{name: "Temporal unreachable", payload: orderID, temporal: true,
			updErr: serviceerror.NewUnavailable("connection refused"), want: checkout.Verdict{Refusal: contract.RefuseBusy}},
		{name: "the update failed otherwise", payload: orderID, temporal: true,
			getErr: temporal.NewApplicationError("panic in handler", "PanicError"), want: checkout.Verdict{Refusal: contract.RefuseBusy}},
		{name: "a payload that is no order id", payload: func() string { return `<b>order</b> & "more"` },
			want: checkout.Verdict{Refusal: contract.RefuseUnknown}},
		{name: "approved by the subscription's workflow", payload: subID, temporal: true,
			want: checkout.Verdict{Approved: true}},
		{name: "closed subscription workflow, no such subscription", payload: subID, temporal: true,
			updErr: serviceerror.NewNotFound("workflow not found"), want: checkout.Verdict{Refusal: contract.RefuseUnknown}},
		{name: "closed subscription workflow, subscription known", payload: subID, temporal: true,
			updErr: serviceerror.NewNotFound("workflow not found"), want: checkout.Verdict{Refusal: contract.RefuseNotAwaiting},
			seed: func(t *testing.T, id string) {
				createOrder(t, st, order(id, ann, planGB, contract.StatusExpired))
				if err := st.CreateSubscription(ctx, store.Subscription{ID: id, UserID: ann, ChatID: ann, PlanID: planGB,
					Status: contract.SubExpired}); err != nil {
					t.Fatal(err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, tc := newService(t, st)
			payload := tt.payload()
			if tt.seed != nil {
				tt.seed(t, payload)
			}
			pc := contract.PreCheckout{QueryID: "4518274023945210881", UserID: ann, Currency: "XTR", TotalAmount: 137,
				Payload: payload}
			var got client.UpdateWorkflowOptions
			if tt.temporal {
				var handle client.WorkflowUpdateHandle
				if tt.updErr == nil {
					h := mocks.NewWorkflowUpdateHandle(t)
					h.On("Get", mock.Anything, nil).Return(tt.getErr).Once()
					handle = h
				}
				tc.On("UpdateWorkflow", mock.Anything, mock.Anything).
					Run(func(a mock.Arguments) { got = a.Get(1).(client.UpdateWorkflowOptions) }).
					Return(handle, tt.updErr).Once()
			}
			if v := svc.PreCheckout(ctx, pc); v != tt.want {
				t.Fatalf("verdict %+v, want %+v", v, tt.want)
			}
			if !tt.temporal {
				return
			}
			wantID := contract.WorkflowID(payload)
			if contract.IsSubscriptionID(payload) {
				wantID = contract.SubscriptionWorkflowID(payload)
			}
			if got.WorkflowID != wantID || got.UpdateName != contract.UpdatePreCheckout || got.UpdateID != "pc-"+pc.QueryID ||
				got.WaitForStage != client.WorkflowUpdateStageCompleted || len(got.Args) != 1 || got.Args[0] != pc {
				t.Errorf("update options %+v, want workflow %s", got, wantID)
			}
		})
	}
}

func TestRefund(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	tests := []struct {
		name     string
		id       func(t *testing.T) string
		temporal bool
		getErr   error
		want     error
	}{
		{name: "accepted", id: paidOrder(st), temporal: true},
		{name: "already refunded", id: paidOrder(st), temporal: true,
			getErr: temporal.NewApplicationError("order already refunded", contract.ErrTypeAlreadyRefunded),
			want:   checkout.ErrAlreadyRefunded},
		{name: "not paid", id: paidOrder(st), temporal: true,
			getErr: temporal.NewApplicationError("order has no accepted payment", contract.ErrTypeNotPaid),
			want:   checkout.ErrNotPaid},
		{name: "refused otherwise", id: paidOrder(st), temporal: true,
			getErr: temporal.NewApplicationError("refund needs a reason", contract.ErrTypeInvalidRefund), want: errOther},
		{name: "unknown order", id: func(*testing.T) string { return uuid.NewString() }, want: checkout.ErrOrderNotFound},
		{name: "subscriptions are cancelled, not refunded",
			id: func(*testing.T) string { return contract.SubscriptionPrefix + uuid.NewString() }, want: checkout.ErrSubscriptionRefund},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, tc := newService(t, st)
			id := tt.id(t)
			var s started
			var upd client.UpdateWithStartWorkflowOptions
			if tt.temporal {
				expectStart(tc, &s)
				expectUpdateWithStart(t, tc, &upd, nil, answer(tt.getErr))
			}
			err := svc.Refund(ctx, id, "eSIM does not connect <3G only> & no data", "support:zoë")
			checkErr(t, err, tt.want)
			if !tt.temporal {
				return
			}
			o := s.opts
			if o.ID != contract.WorkflowID(id) || o.WorkflowIDConflictPolicy != enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING ||
				o.WorkflowIDReusePolicy != enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE || !sameFunc(s.wf, workflows.OrderWorkflow) {
				t.Errorf("start options %+v of %T", o, s.wf)
			}
			// A closed order's workflow is resumed from the ledger to refund.
			if in := s.in.(contract.Input); !in.Resume || in.OrderID != id {
				t.Errorf("input %+v", in)
			}
			u := upd.UpdateOptions
			want := contract.RefundRequest{Reason: "eSIM does not connect <3G only> & no data", By: "support:zoë"}
			if u.UpdateName != contract.UpdateRefund || u.UpdateID == "" || len(u.Args) != 1 || u.Args[0] != want {
				t.Errorf("update options %+v", u)
			}
		})
	}
}

func paidOrder(st *store.Store) func(t *testing.T) string {
	return func(t *testing.T) string {
		id := uuid.NewString()
		createOrder(t, st, order(id, ann, planGB, contract.StatusFulfilled))
		return id
	}
}

func TestPayment(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	tests := []struct {
		name      string
		payload   string
		signalErr error
	}{
		{name: "an order's payment", payload: uuid.NewString()},
		{name: "a subscription's charge goes to its SubscriptionWorkflow", payload: contract.SubscriptionPrefix + uuid.NewString()},
		{name: "the signal fails", payload: uuid.NewString(), signalErr: serviceerror.NewUnavailable("connection refused")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, tc := newService(t, st)
			var counted []int64
			svc.OnNewPayment = func(stars int64) { counted = append(counted, stars) }
			p := contract.Payment{ChargeID: "stxK7m2Qp-" + uuid.NewString(), UserID: bob, Currency: "XTR", TotalAmount: 137,
				InvoicePayload: tt.payload, UpdateID: 918273645}
			type signal struct {
				workflowID, name string
				arg              any
				opts             client.StartWorkflowOptions
				wf, in           any
				ledgerFirst      bool
			}
			var sent []signal
			tc.On("SignalWithStartWorkflow", mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything,
				mock.Anything, mock.Anything).
				Run(func(a mock.Arguments) {
					_, err := st.GetPayment(ctx, p.ChargeID)
					sent = append(sent, signal{workflowID: a.String(1), name: a.String(2), arg: a.Get(3),
						opts: a.Get(4).(client.StartWorkflowOptions), wf: a.Get(5), in: a.Get(6), ledgerFirst: err == nil})
				}).
				Return(mocks.NewWorkflowRun(t), tt.signalErr).Twice()

			// Telegram re-delivers: the second call records nothing new but
			// signals again, which the workflow deduplicates by charge id.
			for range 2 {
				err := svc.Payment(ctx, p)
				if (err != nil) != (tt.signalErr != nil) {
					t.Fatalf("error %v, want %v", err, tt.signalErr)
				}
			}
			if row, err := st.GetPayment(ctx, p.ChargeID); err != nil || row.OrderID != tt.payload || row.TotalAmount != 137 {
				t.Fatalf("ledger row %+v, %v", row, err)
			}
			if len(counted) != 1 || counted[0] != 137 {
				t.Errorf("OnNewPayment told %v, want once 137", counted)
			}
			for _, s := range sent {
				if !s.ledgerFirst {
					t.Error("the workflow was signalled before the payment was in the ledger")
				}
				if s.name != contract.SignalPayment || s.arg != p || s.opts.ID != s.workflowID ||
					s.opts.WorkflowIDReusePolicy != enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE {
					t.Errorf("signal %+v", s)
				}
				if user, _ := s.opts.TypedSearchAttributes.GetInt64(contract.AttrUserID); user != bob {
					t.Errorf("TelegramUserId %d", user)
				}
				if contract.IsSubscriptionID(tt.payload) {
					in, ok := s.in.(contract.SubscriptionInput)
					if s.workflowID != contract.SubscriptionWorkflowID(tt.payload) || !sameFunc(s.wf, workflows.SubscriptionWorkflow) ||
						!ok || !in.Resume || in.UserID != bob || in.SubscriptionID != tt.payload {
						t.Errorf("subscription charge sent to %s (%T) with %+v", s.workflowID, s.in, s.in)
					}
					continue
				}
				in, ok := s.in.(contract.Input)
				if s.workflowID != contract.WorkflowID(tt.payload) || !sameFunc(s.wf, workflows.OrderWorkflow) || !ok ||
					!in.Resume || in.UserID != bob || in.OrderID != tt.payload || in.Source != contract.SourcePayment {
					t.Errorf("order payment sent to %s (%T) with %+v", s.workflowID, s.in, s.in)
				}
			}
		})
	}
}

func TestCreateSubscription(t *testing.T) {
	st := newStore(t)
	t.Run("starts the subscription's workflow", func(t *testing.T) {
		svc, tc := newService(t, st)
		req := checkout.CreateRequest{UserID: ann, ChatID: ann, LanguageCode: "en", PlanID: planGB, IdempotencyKey: "sub-key"}
		var s started
		var upd client.UpdateWithStartWorkflowOptions
		expectStart(tc, &s)
		expectUpdateWithStart(t, tc, &upd, nil, func(_ context.Context, v any) error {
			*v.(*contract.Invoice) = contract.Invoice{OrderID: s.in.(contract.SubscriptionInput).SubscriptionID}
			return nil
		})
		inv, err := svc.CreateSubscription(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		id := svc.SubscriptionID(req)
		status, _ := s.opts.TypedSearchAttributes.GetKeyword(contract.AttrStatus)
		if inv.OrderID != id || !contract.IsSubscriptionID(id) || s.opts.ID != contract.SubscriptionWorkflowID(id) ||
			!sameFunc(s.wf, workflows.SubscriptionWorkflow) || status != string(contract.SubAwaitingPayment) {
			t.Errorf("started %s (%T, status %q) for %s; invoice %+v", s.opts.ID, s.wf, status, id, inv)
		}
		if upd.UpdateOptions.UpdateName != contract.UpdateInvoice {
			t.Errorf("update %q", upd.UpdateOptions.UpdateName)
		}
	})
	t.Run("a plan above Telegram's subscription price limit", func(t *testing.T) {
		svc, _ := newService(t, st)
		_, err := svc.CreateSubscription(context.Background(), checkout.CreateRequest{UserID: ann, PlanID: planBig})
		checkErr(t, err, checkout.ErrNotSubscribable)
	})
}

func TestCancelSubscription(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	tests := []struct {
		name     string
		user     int64
		temporal bool
		getErr   error
		want     error
	}{
		{name: "cancelled", user: ann, temporal: true},
		{name: "someone else's subscription", user: bob, want: checkout.ErrSubscriptionNotFound},
		{name: "no longer renewing", user: ann, temporal: true,
			getErr: temporal.NewApplicationError("subscription is canceled", contract.ErrTypeNotActive), want: checkout.ErrNotActive},
		{name: "the workflow does not know the buyer", user: ann, temporal: true,
			getErr: temporal.NewApplicationError("not the subscriber", contract.ErrTypeNotSubscriber), want: checkout.ErrSubscriptionNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, tc := newService(t, st)
			id := contract.SubscriptionPrefix + uuid.NewString()
			createOrder(t, st, order(id, ann, planGB, contract.StatusFulfilled))
			if err := st.CreateSubscription(ctx, store.Subscription{ID: id, UserID: ann, ChatID: ann, PlanID: planGB,
				Status: contract.SubActive}); err != nil {
				t.Fatal(err)
			}
			var s started
			var upd client.UpdateWithStartWorkflowOptions
			if tt.temporal {
				expectStart(tc, &s)
				expectUpdateWithStart(t, tc, &upd, nil, answer(tt.getErr))
			}
			_, err := svc.CancelSubscription(ctx, id, tt.user, "buyer:bot")
			checkErr(t, err, tt.want)
			if tt.temporal && (s.opts.ID != contract.SubscriptionWorkflowID(id) || !s.in.(contract.SubscriptionInput).Resume ||
				upd.UpdateOptions.UpdateName != contract.UpdateCancel ||
				upd.UpdateOptions.Args[0] != (contract.CancelRequest{UserID: ann, By: "buyer:bot"})) {
				t.Errorf("start %+v, update %+v", s.opts, upd.UpdateOptions)
			}
		})
	}
}

func TestSubscriptionStateChanged(t *testing.T) {
	tests := []struct {
		name      string
		id        string
		signalled bool
		signalErr error
		wantErr   bool
	}{
		{name: "signalled", id: "sub-6a1f", signalled: true},
		{name: "a closed subscription has nothing left to stop", id: "sub-6a1f", signalled: true,
			signalErr: serviceerror.NewNotFound("workflow not found")},
		{name: "Temporal unreachable", id: "sub-6a1f", signalled: true, signalErr: serviceerror.NewUnavailable("connection refused"),
			wantErr: true},
		{name: "a payload that is no subscription", id: "2b7e0f4c-order"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, tc := newService(t, nil) // the ledger is not consulted
			ch := contract.SubscriptionStateChange{UserID: ann, State: "canceled"}
			if tt.signalled {
				tc.On("SignalWorkflow", mock.Anything, contract.SubscriptionWorkflowID(tt.id), "",
					contract.SignalSubscriptionState, ch).Return(tt.signalErr).Once()
			}
			if err := svc.SubscriptionStateChanged(context.Background(), tt.id, ch); (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error: %v", err, tt.wantErr)
			}
		})
	}
}
