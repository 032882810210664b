import Foundation
@testable import Reports

/// Synthetic (made-up) data for rendering tests and the visual sample.
enum SampleData {
    /// 2026-11-03 09:30 MSK.
    static let generatedAt = Date(timeIntervalSince1970: 1_793_687_400)

    static func daily() -> [DailyCount] {
        var seed: UInt64 = 42
        func next() -> Double {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(seed >> 33) / Double(UInt64(1) << 31)
        }
        return (1...31).map { day in
            let weekday = (day + 2) % 7  // 1 Oct 2026 is a Thursday
            let base = weekday >= 5 ? 250.0 : 425.0
            let count = Int(base + next() * 120 + (day == 14 ? 380 : 0))
            let answered = Int(Double(count) * (0.82 + next() * 0.15))
            let date = "2026-10-" + (day < 10 ? "0\(day)" : "\(day)")
            return DailyCount(date: date, count: count, answered: answered)
        }
    }

    static let topics: [TopicCount] = [
        TopicCount(topic: .housing, count: 4_912, previousCount: 4_310),
        TopicCount(topic: .waste, count: 1_204, previousCount: 1_388),
        TopicCount(topic: .energy, count: 688, previousCount: 702),
        TopicCount(topic: .education, count: 731, previousCount: 905),
        TopicCount(topic: .health, count: 1_356, previousCount: 1_290),
        TopicCount(topic: .roads, count: 2_140, previousCount: 2_655),
        TopicCount(topic: .transport, count: 977, previousCount: 940),
        TopicCount(topic: .social, count: 812, previousCount: 799),
        TopicCount(topic: .other, count: 604, previousCount: 570),
    ]

    static let channels: [ChannelCount] = [
        ChannelCount(channel: "Платформа обратной связи (Госуслуги)", count: 6_120),
        ChannelCount(channel: "Социальные сети", count: 3_405),
        ChannelCount(channel: "Телефон горячей линии", count: 2_388),
        ChannelCount(channel: "Письменные обращения", count: 1_011),
        ChannelCount(channel: "Личный приём", count: 500),
    ]

    static let municipalities = [
        ("yar", "городской округ город Ярославль", 577_000.0), ("ryb", "городской округ город Рыбинск", 175_000.0),
        ("per", "Переславль-Залесский муниципальный округ", 54_000.0), ("ros", "Ростовский муниципальный район", 63_000.0),
        ("ugl", "Угличский муниципальный район", 47_000.0), ("tut", "Тутаевский муниципальный район", 53_000.0),
        ("dan", "Даниловский муниципальный район", 24_000.0), ("nek", "Некрасовский муниципальный район", 20_000.0),
        ("gav", "Гаврилов-Ямский муниципальный район", 24_000.0), ("mys", "Мышкинский муниципальный район", 9_000.0),
        ("pos", "Пошехонский муниципальный район", 12_000.0), ("lub", "Любимский муниципальный район", 9_500.0),
    ]

    static func municipalityRating() -> RatingTable {
        let rows = municipalities.enumerated().map { i, m in
            let score = 86.4 - Double(i) * 3.7 + (i % 3 == 0 ? 0.8 : 0)
            let volume = Int(m.2 / 10_000 * (18 + Double(i % 4) * 3.5))
            let prev = [2, 1, 5, 3, 4, 8, 6, 7, 12, 9, 10, 11][i]
            return RatingRow(key: m.0, name: m.1, rank: i + 1, previousRank: prev, score: score,
                             scoreChange: Double(prev - (i + 1)) * 1.3, volume: volume,
                             onTimeShare: 0.985 - Double(i) * 0.012, medianAnswerHours: 30 + Double(i) * 4.5,
                             satisfaction: 0.74 - Double(i) * 0.017, per10k: Double(volume) / m.2 * 10_000)
        }
        return RatingTable(kind: .municipalities, rows: rows, note: "Рейтинг рассчитан по обращениям, поступившим с 1 по 31 октября 2026 г.")
    }

    static func agencyRating(evilName: String? = nil) -> RatingTable {
        let names = [
            "Министерство жилищно-коммунального хозяйства", "Министерство здравоохранения",
            "Министерство образования", "Министерство дорожного хозяйства и транспорта",
            "Министерство социальной защиты населения", "Министерство энергетики и тарифного регулирования",
            "Региональный оператор по обращению с ТКО", "Государственная жилищная инспекция",
            "Министерство строительства", evilName ?? "Департамент охраны окружающей среды и природопользования",
        ]
        let rows = names.enumerated().map { i, name in
            RatingRow(key: "ag\(i)", name: name, rank: i + 1, previousRank: [1, 4, 2, 3, 7, 5, 10, 6, 9, 8][i],
                      score: 91.2 - Double(i) * 4.1, scoreChange: [0.4, 2.1, -1.2, -0.3, 3.3, -2.0, 4.4, -3.1, 0.0, -1.9][i],
                      volume: [4_100, 1_300, 720, 2_900, 800, 650, 1_150, 980, 210, 120][i],
                      onTimeShare: 0.992 - Double(i) * 0.021, medianAnswerHours: 22 + Double(i) * 6.1,
                      satisfaction: 0.79 - Double(i) * 0.031)
        }
        return RatingTable(kind: .agencies, rows: rows)
    }

    static let problems: [TopicProblems] = [
        TopicProblems(topic: .housing, total: 4_912, problems: [
            ProblemCount(name: "Отопление", count: 1_840, previousCount: 960),
            ProblemCount(name: "Водоснабжение (холодная и горячая вода)", count: 905, previousCount: 1_010),
            ProblemCount(name: "Содержание подъездов и мест общего пользования МКД", count: 611, previousCount: 640),
            ProblemCount(name: "Лифты и подъёмные платформы", count: 402, previousCount: 380),
            ProblemCount(name: "Кровля, водостоки, наледь на крыше", count: 377, previousCount: 355),
            ProblemCount(name: "Водоотведение и канализация", count: 290),
            ProblemCount(name: "Фасады, цоколи, самовольные конструкции на фасаде", count: 121),
            ProblemCount(name: "Прочее", count: 366),
        ], otherBreakdown: [
            ProblemCount(name: "начисления за ЖКУ", count: 180), ProblemCount(name: "шум от соседей", count: 96),
            ProblemCount(name: "дератизация", count: 51),
        ]),
        TopicProblems(topic: .roads, total: 2_140, problems: [
            ProblemCount(name: "Ямы и разрушение покрытия", count: 1_120, previousCount: 1_600),
            ProblemCount(name: "Уборка дорог и тротуаров", count: 402, previousCount: 310),
            ProblemCount(name: "Освещение улиц", count: 288, previousCount: 260),
            ProblemCount(name: "Светофоры и дорожные знаки", count: 190),
            ProblemCount(name: "Прочее", count: 140),
        ]),
        TopicProblems(topic: .waste, total: 1_204, problems: [
            ProblemCount(name: "Несвоевременный вывоз мусора", count: 702, previousCount: 860),
            ProblemCount(name: "Несанкционированные свалки", count: 233, previousCount: 240),
            ProblemCount(name: "Контейнерные площадки", count: 171, previousCount: 150),
        ], otherBreakdown: [ProblemCount(name: "начисления за вывоз ТКО", count: 64), ProblemCount(name: "вывоз крупногабарита", count: 34)]),
        TopicProblems(topic: .health, total: 1_356, problems: [
            ProblemCount(name: "Запись к врачу", count: 520, previousCount: 470),
            ProblemCount(name: "Лекарственное обеспечение", count: 301, previousCount: 330),
            ProblemCount(name: "Работа скорой помощи", count: 188, previousCount: 160),
            ProblemCount(name: "Качество медицинской помощи", count: 170),
            ProblemCount(name: "Прочее", count: 177),
        ]),
    ]

    static let flags: [FlagCount] = [
        FlagCount(kind: .terrorism, count: 2, previousCount: 1, forwarded: 2),
        FlagCount(kind: .extremism, count: 5, previousCount: 7, forwarded: 4),
        FlagCount(kind: .corruption, count: 19, previousCount: 14, forwarded: 11),
        FlagCount(kind: .drugs, count: 0, previousCount: 3),
    ]

    static func surveys() -> [SurveyPanel] {
        let sat = municipalities.enumerated().map { i, m in
            let est = 0.68 - Double(i) * 0.021 + (i % 2 == 0 ? 0.015 : -0.01)
            let n = i < 2 ? 820 - i * 300 : 190 - i * 12
            let half = 1.96 * (est * (1 - est) / Double(n)).squareRoot() * 1.2
            return SurveyRow(domain: m.1, estimate: est, ciLow: est - half, ciHigh: est + half, n: n)
        }
        let trust = municipalities.prefix(8).enumerated().map { i, m in
            let est = 3.62 - Double(i) * 0.07
            return SurveyRow(domain: m.1, estimate: est, ciLow: est - 0.11 - Double(i) * 0.01, ciHigh: est + 0.11 + Double(i) * 0.01, n: 400 - i * 40)
        }
        return [
            SurveyPanel(title: "Удовлетворённость работой органов власти с обращениями",
                        question: "В целом вы удовлетворены или не удовлетворены тем, как органы власти реагируют на обращения жителей?",
                        overall: SurveyRow(domain: "Область", estimate: 0.603, ciLow: 0.584, ciHigh: 0.622, n: 2_460),
                        rows: sat, fieldPeriod: "5–19 октября 2026 г."),
            SurveyPanel(title: "Оценка качества дорог (шкала 1–5)", measure: .mean(scaleMin: 1, scaleMax: 5),
                        overall: SurveyRow(domain: "Область", estimate: 3.41, ciLow: 3.36, ciHigh: 3.46, n: 2_460),
                        rows: trust, fieldPeriod: "5–19 октября 2026 г."),
        ]
    }

    static func timeliness() -> Timeliness {
        let t = topics.map { tc -> TopicTimeliness in
            let late = tc.count / (tc.topic == .housing ? 14 : 30)
            let prog = tc.count / 12
            return TopicTimeliness(topic: tc.topic, onTime: tc.count - late - prog, late: late, inProgress: prog,
                                   medianAnswerHours: tc.topic == .housing ? 51.5 : 38.0)
        }
        return Timeliness(onTimeShare: 0.947, onTimeSharePrevious: 0.931, onTimeTarget: 0.95, medianAnswerHours: 41.5,
                          medianAnswerHoursPrevious: 46.0, answered: 12_604, overdue: 421, byTopic: t,
                          answerTimeBuckets: [ChartDatum("до 1 дня", 2_910), ChartDatum("1–3 дня", 5_204), ChartDatum("3–7 дней", 3_012),
                                              ChartDatum("7–15 дней", 1_120), ChartDatum("15–30 дней", 301), ChartDatum("более 30 дней", 57)])
    }

    static let kpis: [KpiItem] = [
        KpiItem(key: "total", title: "Поступило обращений", value: 13_424, unit: .count, previous: 13_559,
                direction: .lowerIsBetter, status: .unknown, history: [11_200, 12_050, 12_900, 13_559, 13_424]),
        KpiItem(key: "ontime", title: "Ответы в установленный срок", value: 0.947, unit: .percent, target: 0.95,
                previous: 0.931, history: [0.90, 0.915, 0.92, 0.931, 0.947]),
        KpiItem(key: "median", title: "Медианное время ответа", value: 41.5, unit: .hours, target: 48, previous: 46,
                direction: .lowerIsBetter, history: [55, 52, 49, 46, 41.5]),
        KpiItem(key: "sat", title: "Удовлетворённость ответами", value: 0.612, unit: .percent, target: 0.7, previous: 0.634,
                history: [0.58, 0.6, 0.62, 0.634, 0.612]),
        KpiItem(key: "repeat", title: "Повторные обращения", value: 0.083, unit: .percent, target: 0.1, previous: 0.091,
                direction: .lowerIsBetter, history: [0.12, 0.11, 0.1, 0.091, 0.083]),
        KpiItem(key: "overdue", title: "Просроченные ответы", value: 421, unit: .count, target: 300, previous: 512,
                direction: .lowerIsBetter, history: [690, 640, 580, 512, 421]),
        KpiItem(key: "social", title: "Реакция на сообщения в соцсетях", value: 5.6, unit: .hours, target: 6, previous: 7.2,
                direction: .lowerIsBetter, history: [9.1, 8.4, 7.8, 7.2, 5.6]),
        KpiItem(key: "survey", title: "Индекс доверия (опрос)", value: 57.9, unit: .score, target: 60, previous: 56.2,
                history: [54.0, 55.1, 55.8, 56.2, 57.9]),
    ]

    /// The four pillars of the platform's standard rating (`RatingConfig.standard`), as the gateway names them.
    static let ratingWeights = [
        RatingWeight(name: "Нагрузка", weight: 0.15, description: "число обращений на 10 тыс. жителей"),
        RatingWeight(name: "Скорость", weight: 0.35, description: "доля ответов в установленный срок и медианное время подготовки ответа"),
        RatingWeight(name: "Качество", weight: 0.35, description: "удовлетворённость заявителей, повторно открытые и повторные обращения"),
        RatingWeight(name: "Полнота", weight: 0.15, description: "доля ответов, закрывающих все поставленные вопросы"),
    ]
    static let surveyWeighting = "Оценки опросов взвешены методом итеративной пропорциональной подгонки (рейкинг) к численности населения по заданным маргиналам. Доверительные интервалы 95 % рассчитаны с учётом дизайна выборки (линеаризация Тейлора)."

    static func report(evilName: String? = nil) -> GovernorReport {
        GovernorReport(
            period: "2026-10", regionName: "Ярославская область", generatedAt: generatedAt,
            preparedBy: "Центр управления регионом Ярославской области",
            kpis: kpis, channels: channels, topics: topics, daily: daily(), timeliness: timeliness(),
            agencyRating: agencyRating(evilName: evilName), municipalityRating: municipalityRating(),
            topicProblems: problems, flags: flags, surveys: surveys(),
            methodology: Methodology(ratingWeights: ratingWeights, surveyWeighting: surveyWeighting,
                                     notes: ["Данные синтетические и приведены для примера оформления доклада."]),
            highlights: [
                "Рост обращений по теме «Отопление» (+92 %) связан с началом отопительного сезона; на контроле 14 МКД.",
                "Доля ответов в срок выросла до 94,7 %, но цель 95 % пока не достигнута.",
                "Пик обращений 14 октября — авария на магистральном водоводе в Заволжском районе.",
            ])
    }

    static func dashboard(unavailable: Bool) -> DashboardPage {
        DashboardPage(
            regionName: "Ярославская область", period: "2026-10", generatedAt: generatedAt, refreshSeconds: 300,
            kpis: .loaded(kpis), channels: .loaded(channels), topics: .loaded(topics), daily: .loaded(daily()),
            timeliness: .loaded(timeliness()),
            agencyRating: unavailable ? .unavailable(reason: "Сервис рейтингов не отвечает (тайм-аут 2 с) <rating-service>") : .loaded(agencyRating()),
            municipalityRating: .loaded(municipalityRating()), topicProblems: .loaded(problems), flags: .loaded(flags),
            surveys: unavailable ? .unavailable(reason: "Сервис опросов недоступен") : .loaded(surveys()))
    }
}
