/// Russian names of notification kinds and messengers on the settings page (one place for the wording).
public enum NotificationLabels {
    /// Every kind a person can mute (AgencyService's `NoticeKind`), in the order the page lists them.
    public static let kinds: [(code: String, label: String, hint: String)] = [
        ("escalation", "Эскалации", "нарушен срок по обращению, за которое вы отвечаете"),
        ("status_changed", "Изменение статуса обращения", "если вы подавали обращение как заявитель"),
        ("answer_ready", "Готов ответ", "ответ на поданное вами обращение"),
        ("rating_request", "Просьба оценить ответ", "оценка учитывается в рейтинге органов власти"),
    ]

    public static func messenger(_ code: String) -> String {
        switch code {
        case "telegram": return "Telegram"
        case "max": return "MAX"
        case "vk": return "VK Мессенджер"
        default: return code
        }
    }
}
