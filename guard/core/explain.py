"""Plain-words explanations of a Decision, for the person in the chat and for the operator.

`user`: short, in the context's language where we have the fixed phrases (en, de, fr, es, ja;
English otherwise); says what happened, what was hidden, and why, citing the rule. Reason
messages come from the policy pack as written. `operator`: rule ids, citations, obligations,
redaction counts, findings and stage timings. Neither ever contains a raw personal value: both are
built only from reasons, counts, labels and (redacted, then scrubbed) evidence.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from guard.core.decision import Action, Explanation

if TYPE_CHECKING:
    from guard.core.decision import Decision

__all__ = ["LANGUAGES", "explain", "phrase"]

_MAX_REASONS = 3
_OUTPUT_PREFIX = "output:"

_PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "pass": "The answer was passed on unchanged.",
        "annotate": "The answer was passed on and flagged for review.",
        "rewrite": "Parts of the answer were changed before you saw it.",
        "block": "The answer was withheld.",
        "denied": "This request was not sent to the AI model.",
        "error": "This request could not be completed safely, so it was stopped.",
        "hidden": "Personal details were hidden from the AI model: {items}.",
        "removed": "Other people's personal details were removed from the answer: {items}.",
        "why": "Why: {reasons}.",
        "more": "and {n} more",
        "detected": "Detected: {items}.",
    },
    "de": {
        "pass": "Die Antwort wurde unverändert weitergegeben.",
        "annotate": "Die Antwort wurde weitergegeben und zur Prüfung markiert.",
        "rewrite": "Teile der Antwort wurden geändert, bevor Sie sie gesehen haben.",
        "block": "Die Antwort wurde zurückgehalten.",
        "denied": "Diese Anfrage wurde nicht an das KI-Modell gesendet.",
        "error": "Diese Anfrage konnte nicht sicher ausgeführt werden und wurde gestoppt.",
        "hidden": "Persönliche Angaben wurden vor dem KI-Modell verborgen: {items}.",
        "removed": "Persönliche Angaben anderer Personen wurden aus der Antwort entfernt: {items}.",
        "why": "Grund: {reasons}.",
        "more": "und {n} weitere",
        "detected": "Erkannt: {items}.",
    },
    "fr": {
        "pass": "La réponse a été transmise sans modification.",
        "annotate": "La réponse a été transmise et signalée pour vérification.",
        "rewrite": "Des parties de la réponse ont été modifiées avant de vous être montrées.",
        "block": "La réponse a été retenue.",
        "denied": "Cette demande n'a pas été envoyée au modèle d'IA.",
        "error": "Cette demande n'a pas pu être traitée en toute sécurité ; elle a été arrêtée.",
        "hidden": "Des données personnelles ont été masquées au modèle d'IA : {items}.",
        "removed": "Des données personnelles de tiers ont été retirées de la réponse : {items}.",
        "why": "Motif : {reasons}.",
        "more": "et {n} autre(s)",
        "detected": "Détecté : {items}.",
    },
    "es": {
        "pass": "La respuesta se entregó sin cambios.",
        "annotate": "La respuesta se entregó y se marcó para revisión.",
        "rewrite": "Se modificaron partes de la respuesta antes de mostrársela.",
        "block": "La respuesta fue retenida.",
        "denied": "Esta solicitud no se envió al modelo de IA.",
        "error": "Esta solicitud no pudo completarse de forma segura y se detuvo.",
        "hidden": "Se ocultaron datos personales al modelo de IA: {items}.",
        "removed": "Se eliminaron de la respuesta datos personales de otras personas: {items}.",
        "why": "Motivo: {reasons}.",
        "more": "y {n} más",
        "detected": "Detectado: {items}.",
    },
    "ja": {
        "pass": "回答はそのまま渡されました。",
        "annotate": "回答は渡され、確認のために記録されました。",
        "rewrite": "回答の一部は表示前に変更されました。",
        "block": "回答は表示されませんでした。",
        "denied": "このリクエストはAIモデルに送信されませんでした。",
        "error": "このリクエストは安全に処理できなかったため、停止されました。",
        "hidden": "個人情報はAIモデルから隠されました：{items}。",
        "removed": "他の人の個人情報は回答から削除されました：{items}。",
        "why": "理由：{reasons}。",
        "more": "ほか{n}件",
        "detected": "検出：{items}。",
    },
}
LANGUAGES = tuple(sorted(_PHRASES))

_ENTITIES: dict[str, dict[str, str]] = {
    "PERSON": {"en": "name", "de": "Name", "fr": "nom", "es": "nombre", "ja": "氏名"},
    "EMAIL_ADDRESS": {"en": "email address", "de": "E-Mail-Adresse", "fr": "adresse e-mail",
                      "es": "correo electrónico", "ja": "メールアドレス"},
    "PHONE_NUMBER": {"en": "phone number", "de": "Telefonnummer", "fr": "numéro de téléphone",
                     "es": "número de teléfono", "ja": "電話番号"},
    "LOCATION": {"en": "place", "de": "Ort", "fr": "lieu", "es": "lugar", "ja": "場所"},
    "DATE_TIME": {"en": "date", "de": "Datum", "fr": "date", "es": "fecha", "ja": "日付"},
    "CREDIT_CARD": {"en": "card number", "de": "Kartennummer", "fr": "numéro de carte",
                    "es": "número de tarjeta", "ja": "カード番号"},
    "IBAN_CODE": {"en": "bank account (IBAN)", "de": "Bankkonto (IBAN)", "fr": "compte bancaire (IBAN)",
                  "es": "cuenta bancaria (IBAN)", "ja": "銀行口座（IBAN）"},
    "IP_ADDRESS": {"en": "IP address", "de": "IP-Adresse", "fr": "adresse IP", "es": "dirección IP",
                   "ja": "IPアドレス"},
    "US_SSN": {"en": "social security number", "de": "Sozialversicherungsnummer",
               "fr": "numéro de sécurité sociale", "es": "número de seguro social", "ja": "社会保障番号"},
    "URL": {"en": "web address", "de": "Webadresse", "fr": "adresse web", "es": "dirección web",
            "ja": "URL"},
    "MEDICAL_LICENSE": {"en": "medical licence", "de": "ärztliche Zulassung", "fr": "licence médicale",
                        "es": "licencia médica", "ja": "医師免許"},
}

_TACTICS: dict[str, dict[str, str]] = {
    "exit.premature": {"en": "saying you are leaving too soon", "de": "Vorwurf, zu früh zu gehen",
                       "fr": "reproche de partir trop tôt", "es": "reproche por irse demasiado pronto",
                       "ja": "早すぎる退出への引き止め"},
    "exit.fomo": {"en": "a lure to stay", "de": "Lockmittel zum Bleiben", "fr": "appât pour rester",
                  "es": "incentivo para quedarse", "ja": "残らせるための誘い"},
    "exit.neglect": {"en": "acting hurt when you leave", "de": "gekränkte Reaktion auf den Abschied",
                     "fr": "se dire blessé par votre départ", "es": "mostrarse herido por su partida",
                     "ja": "退出時に傷ついたふり"},
    "exit.pressure": {"en": "pressure to answer before leaving", "de": "Druck, vor dem Gehen zu antworten",
                      "fr": "pression pour répondre avant de partir", "es": "presión para responder antes de irse",
                      "ja": "退出前の返答の強要"},
    "exit.ignore": {"en": "ignoring your goodbye", "de": "Ignorieren des Abschieds",
                    "fr": "ignorer votre au revoir", "es": "ignorar su despedida", "ja": "別れの挨拶の無視"},
    "exit.restraint": {"en": "coercive restraint", "de": "Festhalten mit Zwang", "fr": "retenue coercitive",
                       "es": "retención coercitiva", "ja": "強制的な引き止め"},
    "anthropomorphism": {"en": "claiming to be human", "de": "Anspruch, ein Mensch zu sein",
                         "fr": "prétendre être humain", "es": "afirmar ser humano", "ja": "人間であるという主張"},
    "retention": {"en": "fostering dependency", "de": "Förderung von Abhängigkeit",
                  "fr": "création de dépendance", "es": "fomento de la dependencia", "ja": "依存の助長"},
    "sycophancy": {"en": "dishonest agreement", "de": "unehrliche Zustimmung", "fr": "approbation malhonnête",
                   "es": "acuerdo deshonesto", "ja": "不誠実な同調"},
    "brand_bias": {"en": "steering to a product", "de": "Lenkung zu einem Produkt",
                   "fr": "orientation vers un produit", "es": "dirigir hacia un producto", "ja": "特定製品への誘導"},
    "isolation": {"en": "discouraging other help", "de": "Abraten von anderer Hilfe",
                  "fr": "décourager d'autres aides", "es": "desalentar otra ayuda", "ja": "他の支援からの遠ざけ"},
    "guilt": {"en": "guilt-tripping", "de": "Schuldgefühle erzeugen", "fr": "culpabilisation",
              "es": "culpabilización", "ja": "罪悪感の植え付け"},
    "shaming": {"en": "shaming", "de": "Beschämung", "fr": "humiliation", "es": "avergonzar", "ja": "辱め"},
    "intimidation": {"en": "intimidation", "de": "Einschüchterung", "fr": "intimidation", "es": "intimidación",
                     "ja": "威圧"},
    "exploitative_upsell": {"en": "selling on distress", "de": "Verkauf unter Ausnutzung von Not",
                            "fr": "vente exploitant la détresse", "es": "venta aprovechando la angustia",
                            "ja": "苦境につけ込む販売"},
    "gaslighting": {"en": "gaslighting", "de": "Gaslighting", "fr": "manipulation (gaslighting)",
                    "es": "manipulación (gaslighting)", "ja": "ガスライティング"},
}


def _language(decision: Decision) -> str:
    language = decision.context.language
    return language if language in _PHRASES else "en"


def phrase(key: str, language: str) -> str:
    """A fixed phrase in `language`, English where there is no translation."""
    return _PHRASES.get(language, _PHRASES["en"]).get(key, _PHRASES["en"][key])


def _named(table: dict[str, dict[str, str]], key: str, language: str) -> str:
    names = table.get(key)
    if names is None:
        return key.replace("_", " ").lower()
    return names.get(language, names["en"])


def _headline(decision: Decision, language: str) -> str:
    if not decision.allow:
        return phrase("denied", language)
    if decision.error:
        return phrase("error", language)
    return phrase(decision.action.value, language)


def _list(items: list[str], language: str) -> str:
    shown = items[:_MAX_REASONS]
    if len(items) > _MAX_REASONS:
        shown.append(phrase("more", language).format(n=len(items) - _MAX_REASONS))
    return "; ".join(shown)


def _user_text(decision: Decision) -> str:
    language = _language(decision)
    sentences = [_headline(decision, language)]
    # Counts named `output:TYPE` are other people's data taken out of the answer, not the user's
    # own data kept from the model: they get their own sentence.
    for key, prefix in (("hidden", ""), ("removed", _OUTPUT_PREFIX)):
        counts = sorted((kind.removeprefix(prefix), count) for kind, count in decision.redactions.items()
                        if kind.startswith(_OUTPUT_PREFIX) == bool(prefix))
        if counts:
            items = ", ".join(f"{_named(_ENTITIES, kind, language)} ({count})" for kind, count in counts)
            sentences.append(phrase(key, language).format(items=items))
    # The reasons for what happened to this answer (output.*) come before standing notices.
    ordered = sorted(decision.reasons, key=lambda r: not r.id.startswith("output."))
    reasons = [f"{r.message.rstrip('.。')} ({r.citation})" if r.citation else r.message.rstrip(".。")
               for r in ordered]
    if reasons:
        sentences.append(phrase("why", language).format(reasons=_list(reasons, language)))
    if decision.findings and decision.action is not Action.PASS:
        tactics = sorted({_named(_TACTICS, f.label, language) for f in decision.findings})
        sentences.append(phrase("detected", language).format(items=", ".join(tactics)))
    return ("" if language == "ja" else " ").join(sentences)


def _operator_text(decision: Decision) -> str:
    from guard.logging import scrub_text  # defence in depth on evidence snippets

    ctx = decision.context
    lines = [
        f"decision {decision.id} api={decision.api} action={decision.action.value} allow={decision.allow} "
        f"status={decision.status} policy_revision={decision.policy_revision or '-'}",
        f"context tenant={ctx.tenant} setting={ctx.setting.value} region={ctx.region or '-'} "
        f"locale={ctx.locale} age_band={ctx.age_band.value} purposes={','.join(ctx.purposes)} "
        f"model_kind={ctx.model_kind.value}",
    ]
    for reason in decision.reasons:
        cite = f" [{reason.citation}]" if reason.citation else ""
        lines.append(f"reason {reason.id}{cite}: {reason.message}")
    active = sorted(key for key, value in decision.obligations.items() if value)
    if decision.obligations:
        lines.append("obligations " + (", ".join(active) or "none"))
    if decision.redactions:
        lines.append("redactions " + ", ".join(f"{k}={v}" for k, v in sorted(decision.redactions.items())))
    for finding in decision.findings:
        evidence = scrub_text(finding.evidence)[:120]
        lines.append(f"finding {finding.detector}:{finding.label} score={finding.score:.2f} "
                     f"source={finding.source} span={finding.start}-{finding.end} evidence={evidence!r}")
    for notice in decision.notices:
        lines.append(f"notice {notice}")
    if decision.error:
        lines.append(f"error {decision.error}")
    for name, result in decision.stages.items():
        rules = f" rules={','.join(result.rule_ids)}" if result.rule_ids else ""
        notes = f" notes={'; '.join(result.messages)}" if result.messages else ""
        lines.append(f"stage {name} {result.outcome.value} {result.ms:.2f}ms{rules}{notes}")
    return "\n".join(lines)


def explain(decision: Decision) -> Explanation:
    return Explanation(user=_user_text(decision), operator=_operator_text(decision))
