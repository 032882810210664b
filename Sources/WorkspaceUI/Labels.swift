import Contracts

/// Russian names of the appeal vocabulary as the workspace shows it (one place for every label).
public enum Labels {
    public static func status(_ s: AppealV1.Status) -> String {
        switch s {
        case .unspecified: return "—"
        case .received: return "Поступило"
        case .registered: return "Зарегистрировано"
        case .assigned: return "Назначено"
        case .forwarded: return "Перенаправлено"
        case .inProgress: return "В работе"
        case .answered: return "Дан ответ"
        case .closed: return "Закрыто"
        case .reopened: return "Возобновлено"
        case .extended: return "Срок продлён"
        }
    }

    public static func channel(_ c: AppealV1.Channel) -> String {
        switch c {
        case .unspecified: return "—"
        case .pos: return "ПОС (Госуслуги)"
        case .portal: return "Региональный портал"
        case .email: return "Электронная почта"
        case .letter: return "Письмо"
        case .social: return "Соцсети"
        case .messenger: return "Мессенджер"
        case .phone: return "Телефон"
        case .reception: return "Личный приём"
        case .open311: return "Open311"
        }
    }

    public static func action(_ a: AppealV1.Action) -> String {
        switch a {
        case .unspecified: return "—"
        case .register: return "Зарегистрировать"
        case .assign: return "Назначить исполнителя"
        case .forward: return "Перенаправить"
        case .start: return "Взять в работу"
        case .extend: return "Продлить срок"
        case .close: return "Закрыть"
        case .reopen: return "Возобновить"
        }
    }

    public static func event(_ e: AppealV1.EventType) -> String {
        switch e {
        case .unspecified: return "—"
        case .received: return "Поступило"
        case .registered: return "Зарегистрировано"
        case .assigned: return "Назначен исполнитель"
        case .forwarded: return "Перенаправлено"
        case .started: return "Взято в работу"
        case .extended: return "Срок продлён"
        case .answered: return "Дан ответ"
        case .closed: return "Закрыто"
        case .reopened: return "Возобновлено"
        case .rated: return "Оценка гражданина"
        case .classified: return "Классификация"
        case .routed: return "Маршрутизация"
        case .deadlineMissed: return "Срок нарушен"
        }
    }

    /// Who did it, as people read it: the citizen, a platform service, or the user's login.
    public static func actor(_ a: String) -> String {
        if a == "citizen" { return "гражданин" }
        if a == "staff" { return "сотрудник" }
        if a.hasPrefix("user:") { return String(a.dropFirst(5)) }
        if a.hasPrefix("client:veche-") { return "система (\(a.dropFirst(13)))" }
        if a.hasPrefix("client:") { return "система (\(a.dropFirst(7)))" }
        return a.isEmpty ? "—" : a
    }

    /// The RPC status of a refused action, in words (the service's own message follows it).
    public static func failure(_ code: Int) -> String {
        switch code {
        case 400: return "Неверные данные"
        case 401: return "Требуется вход"
        case 403: return "Недостаточно прав"
        case 404: return "Не найдено"
        case 409, 412: return "Действие невозможно в текущем состоянии обращения"
        case 422: return "Ключ идемпотентности уже использован для другого запроса"
        case 429: return "Сервис перегружен, повторите через минуту"
        case 503, 504: return "Сервис временно недоступен, повторите действие"
        default: return "Ошибка"
        }
    }
}
