"""Demo knowledge base for ``accord demo``: five categories and thirty articles in Russian,
French, English and German about what an engineering firm's service desk meets (boilers,
ventilation, heat pumps, chillers, design documentation), some public, a few drafts and an
archived one; several have later versions, a few readers' votes and solved cases.

Everything goes through the services, as the UI would. Searches to try: «котлы давление»,
"chaudières", "Heizungen", "installing", "filters".
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from accord.core.audit import audit_context
from accord.core.models import User
from accord.kb import services
from accord.kb.models import Article, KbCategory

CATEGORIES = (
    # name, ru, fr, de
    ("Boilers and heating", "Котлы и отопление", "Chaudières et chauffage", "Kessel und Heizung"),
    ("Ventilation", "Вентиляция", "Ventilation", "Lüftung"),
    ("Heat pumps and chillers", "Тепловые насосы и чиллеры", "PAC et groupes froids", "Wärmepumpen und Kältemaschinen"),
    ("Design documentation", "Проектная документация", "Documentation de conception", "Planungsunterlagen"),
    ("Service contracts", "Сервисные договоры", "Contrats de maintenance", "Wartungsverträge"),
)  # fmt: skip

# (category index, language, visibility, status, title, summary, body paragraphs, keywords)
ARTICLES: tuple[tuple[int, str, str, str, str, str, tuple[str, ...], str], ...] = (
    (0, "ru", "public", "published", "Котёл не запускается после отключения электроэнергии",
     "Сброс аварии и проверка давления в системе отопления.",
     ("После перебоя питания автоматика котла часто остаётся в режиме аварии.",
      "1. Проверьте автомат защиты котла в щите. 2. Нажмите кнопку RESET и подождите 30 секунд. "
      "3. Убедитесь, что давление в системе не ниже 1,2 бар; при необходимости подпитайте систему.",
      "Если котёл снова уходит в аварию, оформите заявку: потребуется проверка датчика тяги и дымохода."),
     "авария, сброс, RESET"),
    (0, "ru", "internal", "published", "Ошибка E21: перегрев теплообменника",
     "Недостаточная циркуляция теплоносителя.",
     ("Ошибка E21 возникает, когда температура подачи превышает 95 °C.",
      "Проверьте работу циркуляционного насоса, сетчатые фильтры и запорную арматуру. "
      "Удалите воздух через автоматические воздухоотводчики.",
      "Если насос исправен, промойте теплообменник: отложения накипи — частая причина на жёсткой воде."),
     "E21, насос, накипь"),
    (0, "ru", "internal", "published", "Падает давление в системе отопления",
     "Поиск утечки и проверка расширительного бака.",
     ("Давление, которое падает ниже 0,8 бар чаще раза в неделю, указывает на утечку или неисправный бак.",
      "Осмотрите соединения радиаторов и предохранительный клапан. Проверьте давление воздуха в "
      "расширительном баке при сброшенной системе: оно должно быть на 0,2 бар ниже рабочего."),
     "давление, утечка, расширительный бак"),
    (0, "fr", "public", "published", "Chaudière en panne : code défaut après une coupure de courant",
     "Réarmer la chaudière et contrôler la pression.",
     ("Après une coupure de courant, la chaudière peut rester en sécurité.",
      "Vérifiez le disjoncteur, réarmez la chaudière avec la touche RESET, puis contrôlez la pression "
      "du circuit de chauffage : au moins 1,2 bar à froid.",
      "Si la panne se répète, ouvrez une demande : la sonde de fumées doit être contrôlée."),
     "réarmement, sécurité"),
    (0, "fr", "internal", "published", "Entretien annuel des chaudières gaz",
     "Liste des contrôles obligatoires lors de la visite d'entretien.",
     ("L'entretien annuel est obligatoire pour les chaudières de 4 à 400 kW.",
      "Contrôles : analyse de combustion, vérification des dispositifs de sécurité, nettoyage du "
      "corps de chauffe, contrôle du vase d'expansion, mesure du CO ambiant.",
      "Remettez l'attestation d'entretien au client sous 15 jours."),
     "entretien, attestation, combustion"),
    (0, "de", "public", "published", "Heizung startet nach Stromausfall nicht",
     "Störung zurücksetzen und Anlagendruck prüfen.",
     ("Nach einem Stromausfall bleibt die Kesselsteuerung oft in Störung.",
      "Prüfen Sie die Sicherung, setzen Sie die Störung mit der RESET-Taste zurück und kontrollieren "
      "Sie den Anlagendruck: mindestens 1,2 bar im kalten Zustand.",
      "Wiederholt sich die Störung, legen Sie eine Anfrage an: der Abgasfühler muss geprüft werden."),
     "Störung, Reset"),
    (0, "de", "internal", "published", "Heizkörper werden nicht warm",
     "Entlüften, hydraulischer Abgleich, Thermostatventile.",
     ("Bleiben einzelne Heizkörper kalt, ist meist Luft im System oder der hydraulische Abgleich fehlt.",
      "Entlüften Sie die Heizkörper von unten nach oben, füllen Sie Wasser nach und prüfen Sie, ob die "
      "Stifte der Thermostatventile klemmen."),
     "Entlüften, Thermostatventil"),
    (0, "en", "public", "published", "Boiler pressure keeps dropping",
     "How to find a leak and check the expansion vessel.",
     ("If the pressure falls below 0.8 bar more than once a week, there is a leak or the expansion "
      "vessel has lost its charge.",
      "Inspect radiator connections and the pressure relief valve discharge pipe. With the system "
      "drained, the vessel's air pressure should be 0.2 bar below the working pressure."),
     "leak, expansion vessel"),
    (1, "en", "internal", "published", "Air handling unit pressure alarm after filter replacement",
     "Filters installed the wrong way round, or sensor tubes blocked.",
     ("A differential pressure alarm right after a filter change is usually an installation error.",
      "Check that the filters are installed in the direction of air flow, clean the pressure sensor "
      "tubes and recalibrate the differential pressure switch to the value in the commissioning report."),
     "AHU, filters, differential pressure"),
    (1, "en", "public", "published", "How often should ventilation filters be replaced?",
     "Replacement intervals by filter class.",
     ("Coarse pre-filters (ISO Coarse): every 3 months. Fine filters (ePM1, ePM2.5): every 6 months "
      "or when the pressure drop reaches the final value marked on the unit.",
      "Replace filters more often near busy roads or building sites."),
     "filter replacement, ePM1"),
    (1, "ru", "internal", "published", "Приточная установка не включается зимой",
     "Защита от замораживания калорифера.",
     ("При температуре обратной воды ниже 15 °C автоматика блокирует запуск, чтобы не разморозить калорифер.",
      "Проверьте работу насоса узла обвязки, положение трёхходового клапана и датчик температуры "
      "обратной воды. Запуск выполняйте в режиме прогрева."),
     "калорифер, заморозка"),
    (1, "ru", "public", "published", "Как часто менять фильтры вентиляции",
     "Периодичность замены по классам фильтров.",
     ("Фильтры грубой очистки меняют раз в квартал, фильтры тонкой очистки — раз в полгода или при "
      "достижении конечного перепада давления.",
      "Вблизи магистралей и строек фильтры загрязняются вдвое быстрее."),
     "фильтры, замена"),
    (1, "fr", "internal", "published", "CTA : alarme de pression différentielle",
     "Filtres encrassés ou mal montés.",
     ("Une alarme de pression différentielle indique un filtre encrassé ou monté à l'envers.",
      "Contrôlez le sens de montage des filtres, nettoyez les prises de pression et recalibrez le "
      "pressostat selon le procès-verbal de mise en service."),
     "CTA, filtres, pressostat"),
    (1, "de", "internal", "published", "Lüftungsanlage: Filterwechsel und Druckwächter",
     "Nach dem Filterwechsel meldet die Anlage Störung.",
     ("Meldet die Lüftungsanlage nach dem Filterwechsel eine Störung, sind die Filter oft verkehrt "
      "herum eingebaut.",
      "Prüfen Sie die Einbaurichtung, reinigen Sie die Messschläuche und stellen Sie den Druckwächter "
      "auf den Wert aus dem Inbetriebnahmeprotokoll ein."),
     "Filter, Druckwächter"),
    (2, "en", "internal", "published", "Heat pump high-pressure fault in summer",
     "Condenser airflow and refrigerant charge.",
     ("High-pressure trips on hot days usually mean the outdoor coil cannot reject heat.",
      "Clean the condenser coil, make sure nothing blocks the airflow within 1 m of the unit, and check "
      "the refrigerant charge against the nameplate."),
     "HP fault, condenser"),
    (2, "ru", "internal", "published", "Чиллер: авария по низкому давлению",
     "Недостаток хладагента или обмерзание испарителя.",
     ("Авария по низкому давлению возникает при утечке хладагента или малом расходе воды через испаритель.",
      "Проверьте расход по реле протока, фильтр на входе испарителя и наличие масляных пятен на "
      "соединениях контура."),
     "чиллер, хладагент, испаритель"),
    (2, "fr", "public", "published", "Pompe à chaleur : que faire en cas de givrage ?",
     "Le dégivrage est normal ; un givrage permanent ne l'est pas.",
     ("Par temps froid et humide, l'unité extérieure se couvre de givre et se dégivre automatiquement "
      "toutes les 30 à 90 minutes.",
      "Si le givre reste plus de deux heures, coupez l'alimentation et ouvrez une demande d'intervention."),
     "givrage, dégivrage"),
    (2, "de", "public", "published", "Wärmepumpe taut nicht mehr ab",
     "Abtauen ist normal, Dauervereisung nicht.",
     ("Bei feuchtkaltem Wetter vereist das Außengerät und taut alle 30 bis 90 Minuten selbst ab.",
      "Bleibt das Eis länger als zwei Stunden, schalten Sie die Anlage aus und melden Sie eine Störung."),
     "Vereisung, Abtauen"),
    (2, "en", "internal", "draft", "Installing a buffer tank for heat pumps",
     "When a buffer tank is needed and how to size it.",
     ("A buffer tank prevents short cycling when the heating circuit volume is below the manufacturer's "
      "minimum.",
      "Size it at 15 to 20 litres per kW of heat pump output; install it on the return."),
     "buffer tank, installation"),
    (3, "ru", "internal", "published", "Замечания экспертизы к разделу ОВ",
     "Частые замечания и как их закрывать.",
     ("Частые замечания: нет расчёта теплопотерь по каждому помещению, не указаны классы фильтров, "
      "не обоснован воздухообмен.",
      "Ответ на замечание оформляйте письмом с перечнем изменённых листов и новой ревизией раздела."),
     "экспертиза, замечания, ОВ"),
    (3, "fr", "internal", "published", "Révision des plans après une remarque du client",
     "Numérotation des indices et diffusion.",
     ("Toute modification d'un plan diffusé entraîne un nouvel indice (A, B, C…) et une ligne dans le "
      "cartouche.",
      "Diffusez la nouvelle version à tous les destinataires de la précédente et archivez l'ancienne."),
     "indice, plans, diffusion"),
    (3, "de", "internal", "published", "Planänderung nach Kundenwunsch",
     "Indexierung und Verteilung geänderter Pläne.",
     ("Jede Änderung an einem freigegebenen Plan erhält einen neuen Index und einen Eintrag im Planköpf.",
      "Verteilen Sie den neuen Stand an alle bisherigen Empfänger und archivieren Sie den alten."),
     "Index, Pläne"),
    (3, "en", "public", "published", "How to request as-built drawings",
     "What to send us and how long it takes.",
     ("Send the project number and the systems you need (heating, ventilation, plumbing).",
      "As-built drawings are delivered as PDF and DWG within ten working days."),
     "as-built, drawings"),
    (3, "en", "internal", "archived", "Old drawing title block (before 2024)",
     "Superseded by the 2024 title block.",
     ("This title block is no longer used. See the current template in the document archive.",),
     "title block"),
    (4, "ru", "public", "published", "Что входит в сервисный договор",
     "Плановые визиты, аварийные выезды и сроки реакции.",
     ("Договор включает плановые визиты по графику, аварийные выезды и консультации по телефону.",
      "Сроки реакции зависят от уровня обслуживания: стандарт — 8 рабочих часов, приоритет — 4, "
      "ключевой клиент — 2."),
     "договор, сроки реакции"),
    (4, "fr", "public", "published", "Ce que couvre votre contrat de maintenance",
     "Visites planifiées, dépannages et délais d'intervention.",
     ("Le contrat couvre les visites planifiées, les dépannages et l'assistance téléphonique.",
      "Les délais d'intervention dépendent du niveau de service : standard 8 heures ouvrées, "
      "prioritaire 4 heures, client clé 2 heures."),
     "contrat, délais"),
    (4, "de", "public", "published", "Was Ihr Wartungsvertrag abdeckt",
     "Wartungsbesuche, Störungseinsätze und Reaktionszeiten.",
     ("Der Vertrag umfasst geplante Wartungsbesuche, Störungseinsätze und telefonische Beratung.",
      "Die Reaktionszeit richtet sich nach dem Servicelevel: Standard 8 Arbeitsstunden, Priorität 4, "
      "Schlüsselkunde 2."),
     "Wartungsvertrag, Reaktionszeit"),
    (4, "en", "public", "published", "What your service contract covers",
     "Planned visits, call-outs and response times.",
     ("The contract covers planned maintenance visits, emergency call-outs and phone support.",
      "Response times depend on the service level: standard 8 working hours, priority 4, key client 2."),
     "service contract, response time"),
    (4, "en", "internal", "published", "Renewing a service contract",
     "Steps for the account's service manager.",
     ("Start the renewal 60 days before the end date: check consumption of visits and hours, propose "
      "the new price and send the draft renewal for signature.",),
     "renewal"),
    (0, "ru", "internal", "draft", "Подготовка котельной к отопительному сезону",
     "Чек-лист осенней проверки.",
     ("Проверить дымоходы, опрессовать систему, проверить автоматику безопасности и резервный насос.",),
     "отопительный сезон, чек-лист"),
)  # fmt: skip

# Later edits: (article index, new paragraph appended, note)
EDITS = (
    (0, "Важно: не сбрасывайте аварию более трёх раз подряд.", "Добавлено предупреждение"),
    (3, "Important : ne réarmez pas plus de trois fois de suite.", "Avertissement ajouté"),
    (8, "Note: on AHU-6 units the switch is behind the left access panel.", "AHU-6 location"),
    (8, "Record the new set point in the unit's log book.", "Log book"),
    (25, "Tous les tarifs sont révisés au 1er janvier.", "Tarifs"),
)


def is_loaded() -> bool:
    return KbCategory.objects.filter(name=CATEGORIES[0][0]).exists()


def _actor() -> User | None:
    for code in ("service_manager", "administrator"):
        user = User.objects.filter(roles__code=code, is_active=True).order_by("id").first()
        if user is not None:
            return user
    return User.objects.filter(is_superuser=True, is_active=True).order_by("id").first()


def _body(paragraphs: tuple[str, ...]) -> str:
    from django.utils.html import escape

    return "".join(f"<p>{escape(p)}</p>" for p in paragraphs)


def seed_demo(*, say: Callable[[str], None] | None = None) -> dict[str, int]:
    """Create the demo categories and articles once (a second call creates nothing)."""
    report = say or (lambda _line: None)
    actor = _actor()
    if is_loaded() or actor is None:
        return {}
    report("Knowledge base")
    with audit_context(source="command"), transaction.atomic():
        return _seed(actor)


def _seed(actor: User) -> dict[str, int]:
    categories = [
        services.category_create(
            actor=actor, name=en, name_ru=ru, name_fr=fr, name_de=de, position=i
        )
        for i, (en, ru, fr, de) in enumerate(CATEGORIES)
    ]
    agents = list(
        User.objects.filter(roles__code="service_agent", is_active=True).order_by("id")[:5]
    )
    articles: list[Article] = []
    for index, (
        category,
        language,
        visibility,
        status,
        title,
        summary,
        body,
        keywords,
    ) in enumerate(ARTICLES):
        owner = agents[index % len(agents)] if agents and index % 3 == 0 else actor
        articles.append(
            services.article_create(
                actor=actor,
                title=title,
                summary=summary,
                body_html=_body(body),
                category=categories[category],
                language=language,
                visibility=visibility,
                status=status,
                keywords=keywords,
                owner=owner,
            )
        )
    for index, paragraph, note in EDITS:
        article = Article.objects.get(pk=articles[index].pk)
        articles[index] = services.article_update(
            actor=actor,
            article=article,
            version=article.version,
            note=note,
            body_html=article.body_html + _body((paragraph,)),
        )
    votes = 0
    for index, article in enumerate(articles):
        if article.status != Article.Status.PUBLISHED:
            continue
        for position, agent in enumerate(agents):
            if (index + position) % 3 == 0:
                services.feedback_submit(
                    actor=agent, article=article, is_helpful=(index + position) % 4 != 0
                )
                votes += 1
    return {
        "categories": len(categories),
        "articles": len(articles),
        "votes": votes,
        "solutions": _link_solutions(actor),
    }


def _link_solutions(actor: User, limit: int = 8) -> int:
    """Link the best suggestion to some of the demo's cases (when cases exist already)."""
    from accord.kb import selectors
    from accord.service.models import Case

    linked = 0
    for case in Case.objects.order_by("id")[:60]:
        suggestions = selectors.suggestions_for_case(actor, case, limit=1)
        if suggestions:
            services.solution_link(actor=actor, case=case, article=suggestions[0][0])
            linked += 1
            if linked >= limit:
                break
    return linked
