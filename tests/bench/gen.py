#!/usr/bin/env python3
"""gen.py: synthetic contacts for the heed benchmark.

Writes N contacts (default 1,000,000) as CSV with the header
email,first_name,last_name,company,title,industry,employees,country,source,
visits,time_on_site,created_at. Everything comes from random.Random(42), so
the same N and the same Python give the same bytes on every run.

Companies (~50,000) are drawn first, each with one industry, head count and
country, so every contact of a company agrees on them. Contacts pick companies
with a skew towards the front of the list (a few big accounts, a long tail).

usage: gen.py [-n N] [-o FILE]     (FILE defaults to standard output)
"""

import argparse
import csv
import datetime
import random
import sys

SEED = 42
NCOMPANIES = 50_000

# Company names are PREFIX + ROOT + ENDING run together as one word (unique per
# company, so organisation keys cannot collide once suffixes are dropped), then
# an optional kind and legal form.
PREFIXES = """
Acu Aero Alta Amber Apex Aqua Arc Argo Astra Atlas Aura Axi Azure Bay Beacon
Bell Birch Black Blue Bold Bright Brook Cedar Celest Clear Cloud Cobalt Coral
Core Crest Crystal Cyber Dawn Delta Digi Dyna Eagle East Echo Eco Edge Elm
Ember Epic Ever Falcon Fern Fire First Flux Fore Fox Frost Fusion Gala Gen Giga
Glen Globe Gold Granite Green Grey Grid Harbor Hawk Helio Hex High Holo Horizon
Hyper Icon Indigo Infini Insight Iron Ivy Jade Jet Juno Key Kinet Lake Laser
Leaf Level Light Lime Link Logi Luna Lumen Lynx Macro Magna Maple Marble Mark
Matrix Meadow Mega Mesa Meta Metro Micro Mid Mint Mira Mono Moss Nano Neo Nest
Nexa North Nova Oak Ocean Omni Onyx Opal Optic Orbit Orchid Pace Palm Peak
Pearl Pine Pixel Plains Plasma Point Polar Prime Prism Pulse Quant Quartz Quest
Radi Rain Rapid Raven Red Reef Ridge River Rock Rose Ruby Sage Sand Sapphire
Scale Sea Shift Sierra Silver Sky Slate Smart Snow Solar Sonic South Spark
Spring Spruce Star Steel Stone Storm Summit Sun Swift Synth Tall Tech Tera
Terra Thunder Tidal Timber Titan Top Trans Tri True Turbo Ultra Uni Urban
Vale Vector Velo Venture Verde Vertex Via Vista Vital Volt Wave West Wild
Willow Wind Wise Wolf Xeno Yellow Zen Zenith Zephyr Zinc
""".split()

ROOTS = """
base beam bit block bloom bond bridge bright burst cast cell chain chart
circuit code comm craft cube cycle dash data deck desk dock dot drive dyne
field file flow force form forge frame gate gear graph grove guard hive hub
ion jet lab land launch layer ledger lens line link loop mark mind mint mode
net node path pipe plex point port pulse quest rail ray reach scape scope
script sense shift sight signal site soft source span sphere spot stack star
station stream sync systems tail tech tide tower track trail tree vault verse
view vine ware wave way wire works yard zone
""".split()

ENDINGS = ["", "", "ly", "io", "ify", "ix", "era", "iq"]
KINDS = [
    "", "", "", "Labs", "Systems", "Solutions", "Technologies", "Partners",
    "Analytics", "Health", "Capital", "Logistics", "Media", "Studio",
]
LEGAL = ["", "", "", "", "Inc", "Ltd", "LLC", "GmbH", "SA", "BV", "AB"]
TLDS = ["com", "com", "com", "io", "co", "net", "de", "co.uk", "fr", "nl"]

INDUSTRIES = [
    ("software", 22), ("finance", 12), ("health", 11), ("retail", 10),
    ("manufacturing", 10), ("education", 7), ("logistics", 6), ("media", 5),
    ("energy", 5), ("consulting", 5), ("government", 3), ("nonprofit", 4),
]
COUNTRIES = [
    ("US", 30), ("GB", 10), ("DE", 9), ("FR", 7), ("NL", 5), ("CA", 5),
    ("ES", 4), ("IT", 4), ("SE", 3), ("AU", 4), ("IN", 6), ("BR", 4),
    ("JP", 3), ("IE", 2), ("CH", 2), ("PL", 2),
]
TITLES = [
    ("CEO", 4), ("CTO", 4), ("CFO", 2), ("COO", 2), ("VP Sales", 4),
    ("VP Marketing", 3), ("VP Engineering", 3), ("Director", 8),
    ("Head of Operations", 3), ("Manager", 14), ("Product Manager", 6),
    ("Engineer", 16), ("Senior Engineer", 7), ("Analyst", 10),
    ("Consultant", 5), ("Sales Representative", 5), ("Designer", 4),
    ("Founder", 2), ("Intern", 2),
]
SOURCES = [("web", 40), ("trial", 15), ("referral", 10), ("ads", 25), ("event", 10)]

FIRST = """
James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David
Barbara Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy
Matthew Lisa Anthony Betty Mark Margaret Donald Sandra Steven Ashley Paul
Kimberly Andrew Emily Joshua Donna Kenneth Michelle Kevin Carol Brian Amanda
George Melissa Edward Deborah Ronald Stephanie Timothy Rebecca Jason Laura
Jeffrey Sharon Ryan Cynthia Jacob Kathleen Gary Amy Nicholas Shirley Eric
Angela Jonathan Helen Stephen Anna Larry Brenda Justin Pamela Scott Nicole
Brandon Emma Benjamin Samantha Samuel Katherine Frank Christine Gregory Debra
Raymond Rachel Alexander Catherine Patrick Carolyn Jack Janet Dennis Ruth
Jerry Maria Tyler Heather Aaron Diane Jose Virginia Adam Julie Henry Joyce
Nathan Victoria Douglas Olivia Zachary Kelly Peter Christina Kyle Lauren
Lukas Sophie Jonas Mia Luca Lea Mateo Ines Hugo Chloe Sven Astrid Arjun Priya
Hiroshi Yuki Pedro Ana Lars Ingrid Marco Giulia Pablo Lucia Tomasz Zofia
""".split()

LAST = """
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez
Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin
Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis Robinson Walker
Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson
Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans
Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy
Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard
Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray
Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross
Foster Jimenez Mueller Schmidt Schneider Fischer Weber Meyer Wagner Becker
Dubois Martin Bernard Moreau Laurent Rossi Russo Ferrari Esposito Bianchi
Jansen Visser Bakker Andersson Johansson Karlsson Nowak Kowalski Tanaka Sato
Suzuki Silva Santos Oliveira Sharma Singh Kumar Murray Byrne OBrien Walsh
""".split()

HEADER = ["email", "first_name", "last_name", "company", "title", "industry",
          "employees", "country", "source", "visits", "time_on_site", "created_at"]


def cumulative(pairs):
    """Values and cumulative weights of a [(value, weight)] list."""
    values, cum, total = [], [], 0
    for value, weight in pairs:
        total += weight
        values.append(value)
        cum.append(total)
    return values, cum


def pick(rng, table):
    """One value of a cumulative() table, drawn with its weight."""
    values, cum = table
    return rng.choices(values, cum_weights=cum)[0]


def make_companies(rng):
    """NCOMPANIES (name, domain, industry, employees, country) tuples."""
    industries, countries = cumulative(INDUSTRIES), cumulative(COUNTRIES)
    stems, seen = [], set()
    for prefix in PREFIXES:
        for root in ROOTS:
            for ending in ENDINGS:
                stem = prefix + root + ending
                if stem.lower() not in seen:
                    seen.add(stem.lower())
                    stems.append(stem)
    companies = []
    for stem in rng.sample(stems, NCOMPANIES):
        name = " ".join(w for w in (stem, rng.choice(KINDS), rng.choice(LEGAL)) if w)
        domain = stem.lower() + "." + rng.choice(TLDS)
        # Head count: log-normal, median ~33, about 10% at 250 or more.
        employees = int(rng.lognormvariate(3.5, 1.6))
        employees = min(20_000, max(1, employees))
        companies.append((name, domain, pick(rng, industries), employees,
                          pick(rng, countries)))
    return companies


def generate(n, out):
    """Write the header and n contact rows to the text stream out."""
    rng = random.Random(SEED)
    companies = make_companies(rng)
    titles, sources = cumulative(TITLES), cumulative(SOURCES)
    first_names, last_names = FIRST, LAST
    day0 = datetime.date(2025, 1, 1)
    ndays = (datetime.date(2026, 12, 31) - day0).days + 1
    dates = [(day0 + datetime.timedelta(days=d)).isoformat() for d in range(ndays)]

    rand, choice, expo = rng.random, rng.choice, rng.expovariate
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    rows = []
    for i in range(n):
        # rand() ** 1.6 skews contacts towards the first companies.
        name, domain, industry, employees, country = \
            companies[int(NCOMPANIES * rand() ** 1.6)]
        first, last = choice(first_names), choice(last_names)
        visits = min(60, int(expo(1 / 7)))
        time_on_site = min(5000, int(visits * rng.uniform(15, 140))) if visits else 0
        email = f"{first.lower()}.{last.lower()}.{i}@{domain}"
        rows.append((email, first, last, name, pick(rng, titles), industry,
                     employees, country, pick(rng, sources), visits,
                     time_on_site, choice(dates)))
        if len(rows) == 10_000:
            writer.writerows(rows)
            rows.clear()
    writer.writerows(rows)


def main():
    ap = argparse.ArgumentParser(description="Generate benchmark contacts as CSV.")
    ap.add_argument("-n", type=int, default=1_000_000, help="number of contacts")
    ap.add_argument("-o", "--output", help="output file (default: standard output)")
    args = ap.parse_args()
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            generate(args.n, out)
    else:
        generate(args.n, sys.stdout)


if __name__ == "__main__":
    main()
