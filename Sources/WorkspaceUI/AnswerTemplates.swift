/// Answer templates offered on the answer form: a frame per sector topic that the executor completes (the
/// parts in square brackets), plus the general ones. They follow 59-ФЗ art. 10: on the merits, with the
/// measures, their dates, the executor and how to appeal.
public enum AnswerTemplates {
    static let closing = "\n\nИсполнитель: [ФИО, должность], тел. [телефон].\nВ случае несогласия с ответом Вы вправе обжаловать его в вышестоящий орган или в суд (п. 4 ст. 5 Федерального закона № 59-ФЗ)."

    static let byTopic: [String: String] = [
        "housing": "Ваше обращение по вопросу «{category}» рассмотрено {agency}. Проведено обследование [дата]; выявлено: [результат]. Управляющей организации выдано предписание устранить нарушения в срок до [дата]; выполнение взято на контроль.",
        "waste": "Ваше обращение по вопросу «{category}» рассмотрено {agency}. Региональному оператору по обращению с ТКО направлено требование [содержание]; вывоз отходов / уборка площадки выполнены [дата].",
        "energy": "Ваше обращение по вопросу «{category}» рассмотрено {agency}. Ресурсоснабжающей организацией проведены работы [содержание] [дата]; параметры снабжения восстановлены.",
        "education": "Ваше обращение по вопросу «{category}» рассмотрено {agency}. По результатам проверки [результат]; приняты меры: [меры] в срок до [дата].",
        "health": "Ваше обращение по вопросу «{category}» рассмотрено {agency}. Проведена проверка в медицинской организации [название]; приняты меры: [меры]. Запись к специалисту / обеспечение лекарственным препаратом организованы [дата].",
        "roads": "Ваше обращение по вопросу «{category}» рассмотрено {agency}. Участок [адрес] обследован [дата]; ремонт включён в план работ и будет выполнен до [дата].",
        "transport": "Ваше обращение по вопросу «{category}» рассмотрено {agency}. Перевозчику [название] направлено требование [содержание]; соблюдение расписания взято на контроль до [дата].",
        "social": "Ваше обращение по вопросу «{category}» рассмотрено {agency}. По результатам рассмотрения [результат]; меры социальной поддержки [назначены / разъяснён порядок оформления].",
    ]

    /// (label, text) pairs: the topic's template first (if any), then the general ones.
    public static func `for`(topic: String, category: String, categoryName: String, agency: String) -> [(String, String)] {
        func fill(_ s: String) -> String {
            s.replacingOccurrences(of: "{category}", with: categoryName).replacingOccurrences(of: "{agency}", with: agency) + closing
        }
        var out: [(String, String)] = []
        if let t = byTopic[topic] { out.append(("Меры приняты (\(categoryName))", fill(t))) }
        out.append(("Разъяснение", fill("Ваше обращение по вопросу «{category}» рассмотрено {agency}. Разъясняем: [разъяснение со ссылкой на нормативный акт].")))
        out.append(("Вопрос вне компетенции", fill("Ваше обращение по вопросу «{category}» рассмотрено {agency}. Решение поставленного вопроса относится к компетенции [орган]; обращение направлено туда [дата], о чём Вы уведомляетесь (ст. 8 Федерального закона № 59-ФЗ).")))
        return out
    }
}
