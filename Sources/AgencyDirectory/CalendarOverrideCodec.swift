import Contracts
import WorkCalendar

/// Regional calendar overrides between their stored / wire form (`AgencyV1.CalendarOverride`, kind names
/// `non_working`, `working`, `shortened`) and `WorkCalendar.CalendarOverride`.
extension CalendarOverride {
    /// The kind of a kind name; nil for an unknown name.
    public static func kind(named name: String) -> Kind? {
        switch name {
        case "non_working": return .nonWorking
        case "working": return .working
        case "shortened": return .shortened
        default: return nil
        }
    }

    public static func name(of kind: Kind) -> String {
        switch kind {
        case .nonWorking: return "non_working"
        case .working: return "working"
        case .shortened: return "shortened"
        }
    }

    /// nil when the date or the kind is not valid.
    public init?(message m: AgencyV1.CalendarOverride) {
        guard let date = CivilDate(iso: m.date), let kind = Self.kind(named: m.kind) else { return nil }
        self.init(date: date, kind: kind, note: m.note, asHoliday: m.asHoliday)
    }

    public var message: AgencyV1.CalendarOverride {
        AgencyV1.CalendarOverride(date: date.description, kind: Self.name(of: kind), note: note, asHoliday: asHoliday)
    }
}
