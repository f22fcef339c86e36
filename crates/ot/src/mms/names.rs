//! MMS (ISO 9506-2) name tables: PDU kinds, confirmed services, Data types.

pub fn pdu_name(tag: u32) -> &'static str {
    match tag {
        0 => "confirmed_request",
        1 => "confirmed_response",
        2 => "confirmed_error",
        3 => "unconfirmed",
        4 => "reject",
        5 => "cancel_request",
        6 => "cancel_response",
        7 => "cancel_error",
        8 => "initiate_request",
        9 => "initiate_response",
        10 => "initiate_error",
        11 => "conclude_request",
        12 => "conclude_response",
        13 => "conclude_error",
        _ => "unknown",
    }
}

const SERVICES: [&str; 78] = [
    "status",
    "getNameList",
    "identify",
    "rename",
    "read",
    "write",
    "getVariableAccessAttributes",
    "defineNamedVariable",
    "defineScatteredAccess",
    "getScatteredAccessAttributes",
    "deleteVariableAccess",
    "defineNamedVariableList",
    "getNamedVariableListAttributes",
    "deleteNamedVariableList",
    "defineNamedType",
    "getNamedTypeAttributes",
    "deleteNamedType",
    "input",
    "output",
    "takeControl",
    "relinquishControl",
    "defineSemaphore",
    "deleteSemaphore",
    "reportSemaphoreStatus",
    "reportPoolSemaphoreStatus",
    "reportSemaphoreEntryStatus",
    "initiateDownloadSequence",
    "downloadSegment",
    "terminateDownloadSequence",
    "initiateUploadSequence",
    "uploadSegment",
    "terminateUploadSequence",
    "requestDomainDownload",
    "requestDomainUpload",
    "loadDomainContent",
    "storeDomainContent",
    "deleteDomain",
    "getDomainAttributes",
    "createProgramInvocation",
    "deleteProgramInvocation",
    "start",
    "stop",
    "resume",
    "reset",
    "kill",
    "getProgramInvocationAttributes",
    "obtainFile",
    "defineEventCondition",
    "deleteEventCondition",
    "getEventConditionAttributes",
    "reportEventConditionStatus",
    "alterEventConditionMonitoring",
    "triggerEvent",
    "defineEventAction",
    "deleteEventAction",
    "getEventActionAttributes",
    "reportEventActionStatus",
    "defineEventEnrollment",
    "deleteEventEnrollment",
    "alterEventEnrollment",
    "reportEventEnrollmentStatus",
    "getEventEnrollmentAttributes",
    "acknowledgeEventNotification",
    "getAlarmSummary",
    "getAlarmEnrollmentSummary",
    "readJournal",
    "writeJournal",
    "initializeJournal",
    "reportJournalStatus",
    "createJournal",
    "deleteJournal",
    "getCapabilityList",
    "fileOpen",
    "fileRead",
    "fileClose",
    "fileRename",
    "fileDelete",
    "fileDirectory",
];

/// Confirmed service name by its context tag (tshark's names).
pub fn service_name(s: u32) -> &'static str {
    SERVICES.get(s as usize).copied().unwrap_or("unknown")
}

pub fn unconfirmed_name(s: u32) -> &'static str {
    match s {
        0 => "informationReport",
        1 => "unsolicitedStatus",
        2 => "eventNotification",
        _ => "unknown",
    }
}

/// Data CHOICE type by its context tag.
pub fn data_type_name(t: u32) -> &'static str {
    match t {
        1 => "array",
        2 => "structure",
        3 => "boolean",
        4 => "bit-string",
        5 => "integer",
        6 => "unsigned",
        7 => "floating-point",
        9 => "octet-string",
        10 => "visible-string",
        11 => "generalized-time",
        12 => "binary-time",
        13 => "bcd",
        14 => "booleanArray",
        15 => "objId",
        16 => "mMSString",
        17 => "utc-time",
        _ => "unknown",
    }
}

pub fn error_class_name(c: u32) -> &'static str {
    match c {
        0 => "vmd-state",
        1 => "application-reference",
        2 => "definition",
        3 => "resource",
        4 => "service",
        5 => "service-preempt",
        6 => "time-resolution",
        7 => "access",
        8 => "initiate",
        9 => "conclude",
        10 => "cancel",
        11 => "file",
        12 => "others",
        _ => "unknown",
    }
}

pub fn data_access_error_name(c: u64) -> &'static str {
    match c {
        0 => "object-invalidated",
        1 => "hardware-fault",
        2 => "temporarily-unavailable",
        3 => "object-access-denied",
        4 => "object-undefined",
        5 => "invalid-address",
        6 => "type-unsupported",
        7 => "type-inconsistent",
        8 => "object-attribute-inconsistent",
        9 => "object-access-unsupported",
        10 => "object-non-existent",
        11 => "object-value-invalid",
        _ => "unknown",
    }
}
