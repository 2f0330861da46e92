"""Generate the labelled PII corpus (corpus.jsonl) from templates, Faker and a fixed seed.

    .venv/bin/python tests/data/pii/make_corpus.py        # rewrites tests/data/pii/corpus.jsonl

Each line: {"id", "style", "text", "spans": [{"entity", "start", "end"}]}. Styles: companion,
health, support (with personal data) and plain (chat turns with none: times, versions, products,
figures of speech), so over-redaction shows up as false positives. Hand-written tricky cases
live in tricky.jsonl and are labelled by hand. Faker is a test dependency, never a runtime one.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

from faker import Faker

SEED = 20241129
HERE = Path(__file__).parent

COMPANION = [
    "hey, it's {FIRST} again. {PERSON} didn't text back and I feel so alone tonight",
    "I'm {PERSON} and honestly I just moved to {CITY} and don't know anyone here",
    "my sister {FIRST} says I should talk to someone. she lives in {CITY}, {STATE}",
    "Can you remind me to call {PERSON} at {PHONE} this weekend? I keep putting it off",
    "I had a fight with my boyfriend {FIRST} about moving to {COUNTRY}.",
    "My name is {PERSON}, I'm 34 and I work nights, it's been rough lately",
    "{FIRST} from work invited me out but I said no again. why do I do that",
    "you can email me at {EMAIL} if the app crashes, I'd hate to lose our chats",
    "I grew up at {STREET} in {CITY} and I miss it so much",
    "do you think {PERSON} still thinks about me? we broke up in {CITY}",
    "my best friend {PERSON} is getting married and I'm happy but also sad",
    "I was born on {DOB} so my birthday is coming up and nobody remembers",
    "Text me on {PHONE} when you can, it's {FIRST}",
    "I keep thinking about my grandma {PERSON}, she passed last spring in {CITY}",
]

HEALTH = [
    "Patient {PERSON}, DOB {DOB}, reports worsening anxiety since March.",
    "Hi, my name is {PERSON} and I was diagnosed with type 2 diabetes last year.",
    "Dr. {LASTNAME} told me to keep taking sertraline. Can I reach her at {PHONE}?",
    "I live at {STREET}, {CITY} and the nearest clinic is an hour away.",
    "My insurance needs my SSN {SSN} before they approve the therapy sessions.",
    "Please send my lab results to {EMAIL}, thanks. - {PERSON}",
    "My mom {PERSON} has early dementia and I'm her carer in {CITY}.",
    "I'm {PERSON}, born {DOB}, and my blood pressure readings are all over the place",
    "Can you help me write to Dr. {PERSON} about switching my medication?",
    "Our family doctor in {CITY} retired, and {PERSON} took over the practice.",
    "I've been in therapy with {PERSON} for two years and I think it's helping",
    "Call {PHONE} if you need my emergency contact, that's my husband {FIRST}.",
]

SUPPORT = [
    "Hi, I'm {PERSON}. My card {CARD} was charged twice for the same order.",
    "Please update my email to {EMAIL} and my phone to {PHONE}.",
    "The refund should go to IBAN {IBAN}, account holder {PERSON}.",
    "Our office at {STREET}, {CITY} can't reach your server from {IP}.",
    "Order 48213 was shipped to {STREET}, {CITY}, {STATE} but never arrived.",
    "My SSN is {SSN} and I need the tax form corrected.",
    "Can you reset the password for {EMAIL}? I'm locked out since this morning.",
    "The login attempts came from {IP} and {IP}, none of them were me.",
    "Please cancel the subscription for {PERSON}, card ending {CARD}.",
    "I moved from {CITY} to {CITY}, new address is {STREET}.",
    "This is {PERSON} from the accounts team, call me back at {PHONE}.",
    "Wire the deposit to {IBAN} and send the receipt to {EMAIL}.",
    "My colleague {PERSON} set up the account with card {CARD}.",
    "Requests from {IP} are timing out on version 4.12.1 of the app.",
]

PLAIN = [
    "Can we move our session to {TIME} {DAY}?",
    "I upgraded to version {VERSION} and now the app keeps freezing.",
    "I feel like a zero today, nothing I do matters.",
    "What is an SSN and why does every form ask for it?",
    "Our data lives in S3 and the cluster runs on EKS, is that a problem?",
    "Order {NUMBER} still shows as processing after {NUMBER2} days.",
    "I work at {COMPANY} and the deadlines are crushing me.",
    "Every individual reacts differently to grief, right?",
    "My score went from {NUMBER2} to {NUMBER3} after the last update.",
    "The meeting was moved to {DAY} at {TIME}, can you remind me?",
    "I've been sleeping badly since {DAY}, maybe it's the coffee.",
    "Error code {NUMBER} again when I open the settings page.",
    "Do you think Python or Rust is better for a first language?",
    "I read that {COMPANY} is laying people off, should I be worried?",
    "The bus leaves at {TIME} and takes 45 minutes.",
    "I just want someone to listen for once.",
    "Is it normal to feel tired after 8 hours of sleep?",
    "Ticket #{NUMBER} was closed without an answer.",
    "I'm on iOS {VERSION} and the notifications stopped.",
    "Thanks, that helped a lot. See you {DAY}!",
]

# Hand-written tricky cases; [TYPE|value] marks the gold spans.
TRICKY = [
    "I feel like a zero and nobody notices.",
    "We shipped version 15.10.27 yesterday and the build on 3.2.1.4 is still running.",
    "What does SSN even stand for? Do I need one to open an account?",
    "Our backups are in S3, the cluster is on EKS and the DNS is Route 53.",
    "Let's talk at 10:30 tomorrow, or 7pm on Friday.",
    "Every individual on the team has their own way of coping.",
    "My name is [PERSON|John Q. Public Jr.] and I need help with my claim.",
    "[PERSON|Martin Luther King III] spoke at the event in [LOCATION|Atlanta].",
    "I talked to Dr. [PERSON|Amelia Ortiz] about my sleep.",
    "Please send it to [EMAIL_ADDRESS|j.smith+billing@example.co.uk] and cc my manager.",
    "new mastercard [CREDIT_CARD|2223 0031 2200 3222] was declined",
    "Call me at [PHONE_NUMBER|+44 20 7946 0958] after six.",
    "The server [IP_ADDRESS|203.0.113.54] keeps dropping, version 2.4.1 of the agent.",
    "ok so [PERSON|Priya] said she'd come but she never did",
    "I moved to [LOCATION|Lisbon] last year and I still can't speak Portuguese.",
    "My SSN is [US_SSN|536-22-8726], is it safe to type it here?",
    "I scored 98.6 on the test and my temperature was 98.6 too lol",
    "I'm feeling down. I'm so tired. I'm just done.",
    "The order number is 1234-5678-9012 and it's late.",
    "IBAN [IBAN_CODE|DE89 3704 0044 0532 0130 00] belongs to my landlord [PERSON|Klaus Becker].",
    "Grandpa [PERSON|Eli] used to take me fishing in [LOCATION|Oregon].",
    "Apple, Google and Microsoft all had outages today.",
    "Is 1.1.1.1 or 8.8.8.8 the better DNS resolver?",
    "Born on [DATE_OF_BIRTH|July 4, 1976], I'm older than the internet.",
    "It's 2024-05-06 and I still haven't filed my taxes.",
    "I'm [PERSON|Jordan], nice to meet you.",
]
TRICKY_MARK = re.compile(r"\[([A-Z_]+)\|([^\]]+)\]")
# Real places: Faker's invented towns ("Lake Gary", "Willieborough") read as names to any model,
# and users write real ones.
CITIES = [
    "Springfield",
    "Portland",
    "Austin",
    "Denver",
    "Boston",
    "Seattle",
    "Chicago",
    "Phoenix",
    "San Diego",
    "Nashville",
    "Atlanta",
    "Miami",
    "Detroit",
    "Cleveland",
    "Pittsburgh",
    "Baltimore",
    "Sacramento",
    "Tucson",
    "Omaha",
    "Raleigh",
    "Minneapolis",
    "New Orleans",
    "Salt Lake City",
    "Kansas City",
    "Buffalo",
    "Albany",
    "Richmond",
    "Louisville",
    "Memphis",
    "Boise",
    "London",
    "Manchester",
    "Dublin",
    "Toronto",
    "Vancouver",
    "Sydney",
    "Melbourne",
    "Berlin",
    "Munich",
    "Paris",
    "Madrid",
    "Lisbon",
    "Amsterdam",
    "Rome",
    "Vienna",
    "Zurich",
    "Oslo",
    "Stockholm",
    "Tokyo",
    "Mumbai",
    "Nairobi",
    "Mexico City",
]
COMPANIES = [
    "Northwind Traders",
    "Globex",
    "Initech",
    "Contoso",
    "Blue Harbor Bank",
    "Riverside Hospital",
    "Acme Logistics",
    "Amazon",
    "Deloitte",
    "Walmart",
    "a startup downtown",
    "the city council",
]
SLOT = re.compile(r"\{([A-Z0-9]+)\}")
ENTITY_OF = {
    "PERSON": "PERSON",
    "FIRST": "PERSON",
    "LASTNAME": "PERSON",
    "CITY": "LOCATION",
    "STATE": "LOCATION",
    "COUNTRY": "LOCATION",
    "STREET": "LOCATION",
    "EMAIL": "EMAIL_ADDRESS",
    "PHONE": "PHONE_NUMBER",
    "CARD": "CREDIT_CARD",
    "IBAN": "IBAN_CODE",
    "SSN": "US_SSN",
    "IP": "IP_ADDRESS",
    "DOB": "DATE_OF_BIRTH",
}


def person(fake: Faker, rng: random.Random) -> str:
    first, last = fake.first_name(), fake.last_name()
    roll = rng.random()
    if roll < 0.12:
        return f"{first} {rng.choice('ABCDEFGHJKLMNPRSTW')}. {last}"
    if roll < 0.18:
        return f"{first} {last} Jr."
    return f"{first} {last}"


def phone(fake: Faker, rng: random.Random) -> str:
    number = fake.phone_number()
    return number.split("x")[0] if rng.random() < 0.7 else number


def card(fake: Faker, rng: random.Random) -> str:
    digits = fake.credit_card_number(card_type=rng.choice(["visa", "mastercard", "amex", "discover", None]))
    if rng.random() < 0.5 and len(digits) == 16:
        return " ".join(digits[i : i + 4] for i in range(0, 16, 4))
    return str(digits)


def fill(slot: str, fake: Faker, rng: random.Random) -> str:
    makers: dict[str, Any] = {
        "PERSON": lambda: person(fake, rng),
        "FIRST": fake.first_name,
        "LASTNAME": fake.last_name,
        "CITY": lambda: rng.choice(CITIES),
        "STATE": fake.state,
        "COUNTRY": lambda: rng.choice(["Canada", "Germany", "Portugal", "Japan", "Mexico", "Ireland", "Kenya"]),
        "STREET": fake.street_address,
        "EMAIL": fake.email,
        "PHONE": lambda: phone(fake, rng),
        "CARD": lambda: card(fake, rng),
        "IBAN": fake.iban,
        "SSN": fake.ssn,
        "IP": lambda: fake.ipv4_public() if rng.random() < 0.8 else fake.ipv6(),
        "DOB": lambda: fake.date_of_birth(minimum_age=18, maximum_age=90).strftime(
            rng.choice(["%m/%d/%Y", "%B %d, %Y", "%Y-%m-%d"])
        ),
        "TIME": lambda: rng.choice(["10:30", "9am", "14:00", "noon", "7:45 pm"]),
        "DAY": lambda: rng.choice(["tomorrow", "Monday", "next Friday", "the weekend", "tonight"]),
        "VERSION": lambda: f"{rng.randint(1, 17)}.{rng.randint(0, 12)}.{rng.randint(0, 30)}",
        "NUMBER": lambda: str(rng.randint(1000, 99_999_999)),
        "NUMBER2": lambda: str(rng.randint(2, 30)),
        "NUMBER3": lambda: str(rng.randint(31, 99)),
        "COMPANY": lambda: rng.choice(COMPANIES) if rng.random() < 0.6 else fake.company(),
    }
    return str(makers[slot]())


def render(template: str, fake: Faker, rng: random.Random) -> tuple[str, list[dict[str, Any]]]:
    text, spans, position = "", [], 0
    for match in SLOT.finditer(template):
        text += template[position : match.start()]
        value = fill(match.group(1), fake, rng)
        entity = ENTITY_OF.get(match.group(1))
        if entity:
            spans.append({"entity": entity, "start": len(text), "end": len(text) + len(value)})
        text += value
        position = match.end()
    return text + template[position:], spans


def unmark(marked: str) -> tuple[str, list[dict[str, Any]]]:
    text, spans, position = "", [], 0
    for match in TRICKY_MARK.finditer(marked):
        text += marked[position : match.start()]
        spans.append({"entity": match.group(1), "start": len(text), "end": len(text) + len(match.group(2))})
        text += match.group(2)
        position = match.end()
    return text + marked[position:], spans


def main() -> None:
    fake = Faker("en_US")
    Faker.seed(SEED)
    rng = random.Random(SEED)
    rows = []
    for style, templates, count in (
        ("companion", COMPANION, 150),
        ("health", HEALTH, 150),
        ("support", SUPPORT, 150),
        ("plain", PLAIN, 150),
    ):
        for index in range(count):
            text, spans = render(templates[index % len(templates)], fake, rng)
            rows.append({"id": f"{style}-{index:03d}", "style": style, "text": text, "spans": spans})
    for index, marked in enumerate(TRICKY):
        text, spans = unmark(marked)
        rows.append({"id": f"tricky-{index:03d}", "style": "tricky", "text": text, "spans": spans})
    with (HERE / "corpus.jsonl").open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
