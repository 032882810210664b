import Contracts

/// Russian names of the root-cause vocabulary (statuses, verdicts, dates), shared by the workspace, the dashboard
/// and the governor report.
public enum RootCauseLabels {
    public static func status(_ s: RatingV1.RootCauseStatus) -> String {
        switch s {
        case .unspecified: return "—"
        case .open: return "Открыта"
        case .inWork: return "В работе"
        case .resolved: return "Решена"
        case .closed: return "Закрыта"
        }
    }

    /// Statuses a person can choose in the form, in lifecycle order.
    public static let choices: [RatingV1.RootCauseStatus] = [.open, .inWork, .resolved, .closed]

    /// The progress verdict (RatingEngine's `RootCauseProgressFigures.Verdict` raw values).
    public static func verdict(_ v: String) -> String {
        switch v {
        case "met": return "цель достигнута"
        case "on_track": return "в графике"
        case "behind": return "отстаёт от графика"
        case "missed": return "цель не достигнута"
        default: return "цель не задана"
        }
    }

    /// Badge colour of a verdict: green met / on track, amber behind, red missed, none otherwise.
    public static func tone(_ v: String) -> String {
        switch v {
        case "met", "on_track": return "green"
        case "behind": return "amber"
        case "missed": return "red"
        default: return ""
        }
    }

    public static func tone(_ s: RatingV1.KpiStatus) -> String {
        switch s {
        case .green: return "green"
        case .amber: return "amber"
        case .red: return "red"
        case .unspecified: return ""
        }
    }

    /// «2026-12-31» → «31.12.2026»; "" stays "".
    public static func date(_ iso: String) -> String {
        let p = iso.split(separator: "-")
        return p.count == 3 ? "\(p[2]).\(p[1]).\(p[0])" : iso
    }
}
