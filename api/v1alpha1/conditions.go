package v1alpha1

// Condition types. Ready, Reconciling and Stalled follow kstatus so that kubectl wait,
// Argo CD and Flux understand both kinds; the rest are domain conditions.
const (
	ConditionReady       = "Ready"
	ConditionReconciling = "Reconciling"
	ConditionStalled     = "Stalled"
	// ConditionMirrored: on a month, backfill_log holds its latest state; on a campaign, the
	// manager's database answers, so every month change is mirrored as it is stored.
	ConditionMirrored = "Mirrored"
	// ConditionGateBlocked (campaign) is True while a phase gate keeps the next phase from starting.
	ConditionGateBlocked = "GateBlocked"
	// ConditionBudgetExhausted (campaign) is True while admissions wait for the daily budget to reset.
	ConditionBudgetExhausted = "BudgetExhausted"
	// ConditionWorkersBlocked (campaign) is True while an attempt's pod cannot start (a missing
	// Secret or key, an image that cannot be pulled) or its worker cannot use its database URL;
	// the message names the months and the kubelet's reason, which names the Secret and the key,
	// never a value.
	ConditionWorkersBlocked = "WorkersBlocked"
	// ConditionExhausted (budget) is True while no further month fits the key's day, or the
	// provider reported the key's quota exhausted.
	ConditionExhausted = "Exhausted"
)

// Condition reasons, one vocabulary for both kinds.
const (
	ReasonProgressing      = "Progressing"
	ReasonSuspended        = "Suspended"
	ReasonPlanned          = "Planned"
	ReasonInvalidSpec      = "InvalidSpec"
	ReasonNameConflict     = "NameConflict"
	ReasonGateBlocked      = "GateBlocked"
	ReasonGateHolds        = "GateHolds"
	ReasonAwaitingApproval = "AwaitingApproval"
	ReasonBudgetExhausted  = "BudgetExhausted"
	ReasonQuotaExhausted   = "QuotaExhausted"
	ReasonWithinBudget     = "WithinBudget"
	// ReasonBudgetNotFound: the campaign's spec.budget.budgetRef names no BackfillBudget.
	ReasonBudgetNotFound = "BudgetNotFound"
	// ReasonBudgetKeyMismatch: the referenced budget names another key than the campaign's
	// ISBNdb apiKeySecretRef (or the campaign has none).
	ReasonBudgetKeyMismatch = "BudgetKeyMismatch"
	// ReasonWaitingForTurn: the key's budget has room, but campaigns of higher priority, or
	// equal priority and fewer admissions today, are served first.
	ReasonWaitingForTurn = "WaitingForTurn"
	// ReasonDuplicateKey (budget): another budget names the same key; the stricter limit governs.
	ReasonDuplicateKey = "DuplicateKey"
	// ReasonAccounting (budget): the budget accounts its key's day.
	ReasonAccounting          = "Accounting"
	ReasonWaitingForAdmission = "WaitingForAdmission"
	ReasonJobRunning          = "JobRunning"
	// ReasonJobQueued: the attempt's Job is held suspended by a queue (Kueue); no deadline runs.
	ReasonJobQueued           = "JobQueued"
	ReasonAttemptFailed       = "AttemptFailed"
	ReasonAttemptsExhausted   = "AttemptsExhausted"
	ReasonCompleted           = "Completed"
	ReasonMirrored            = "Mirrored"
	ReasonDatabaseUnavailable = "DatabaseUnavailable"
	ReasonResultUnavailable   = "ResultUnavailable"
	// ReasonPodWaiting: the attempt's pod waits with a kubelet reason (a missing Secret, an
	// image that cannot be pulled, no node); the message quotes it.
	ReasonPodWaiting = "PodWaiting"
	// ReasonOutsideBudgetExhausted: the month failed because too many attempts of its run failed
	// for causes outside it (infrastructure, provider quota).
	ReasonOutsideBudgetExhausted = "OutsideBudgetExhausted"
	// ReasonWorkersStart: no attempt waits on its configuration (WorkersBlocked is False).
	ReasonWorkersStart = "WorkersStart"
	// ReasonRerunRequested: a rerun was requested and the month waits for admission again.
	ReasonRerunRequested = "RerunRequested"
)

// Attempt failure reasons recorded in a month's attempt history.
const (
	FailureJobFailed      = "JobFailed"
	FailureJobVanished    = "JobVanished"
	FailurePendingTooLong = "PendingDeadlineExceeded"
	FailureRunningTooLong = "RunningDeadlineExceeded"
	FailureWorkerFailed   = "WorkerFailed"
	FailurePermanent      = "PermanentFailure"
	// FailureOutside: the attempt failed for a cause outside the month (status cause says which);
	// it does not count against maxAttempts.
	FailureOutside = "OutsideFailure"
)
