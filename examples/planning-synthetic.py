"""Write the SYNTHETIC inputs of the planning example (examples/planning-size.yaml).

Neither file is measured data. ``planning-weather-synthetic.epw`` is a made-up typical year
for a site near Suzhou, Jiangsu (31.30 °N, 120.62 °E, UTC+8): clear-sky irradiance from pvlib
(Ineichen, a fixed Linke turbidity of 3.5) dimmed by a made-up cloudiness per day, split into
beam and diffuse with the Erbs model, and a made-up temperature and wind. ``planning-load-
synthetic.csv`` is a made-up factory load for 2025: 1,000 kW on two shifts (06:00-22:00) Monday
to Saturday, 400 kW at night, 300 kW on Sundays. ``planning-heat-synthetic.csv`` is a made-up
hot-water load of the same factory (examples/planning-heat.yaml): 500 kW on the shifts, 150 kW
otherwise, 200 kW more from December to February. Run it again to rewrite the three files:

    python examples/planning-synthetic.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from pvlib import irradiance
from pvlib.location import Location

HERE = Path(__file__).resolve().parent
LATITUDE, LONGITUDE, ALTITUDE, TZ = 31.30, 120.62, 5.0, 8


def weather() -> pd.DataFrame:
    starts = pd.date_range("2025-01-01", periods=8760, freq="h", tz="Etc/GMT-8")
    middle = starts + pd.Timedelta(minutes=30)
    site = Location(LATITUDE, LONGITUDE, "Etc/GMT-8", ALTITUDE)
    sun = site.get_solarposition(middle)
    clear = site.get_clearsky(middle, model="ineichen", linke_turbidity=3.5)
    rng = np.random.default_rng(2025)
    day = np.arange(8760) // 24
    season = np.cos(2 * np.pi * (day - 196) / 365)  # +1 in mid-July
    # a made-up clearness per day: cloudier in the plum-rain season (June)
    plum = np.exp(-(((day - 165) / 15.0) ** 2))
    clearness_day = np.clip(rng.beta(4, 2, 365) - 0.35 * plum[::24][:365], 0.08, 1.0)
    ghi = (clear["ghi"].to_numpy() * clearness_day[day]).round()
    split = irradiance.erbs(ghi, sun["zenith"].to_numpy(), middle)
    dni = np.nan_to_num(split["dni"].to_numpy()).round()
    dhi = np.clip(ghi - dni * np.cos(np.radians(sun["zenith"].to_numpy())), 0, None).round()
    dhi = np.where(ghi > 0, dhi, 0)
    hour = np.arange(8760) % 24
    temp = 16.5 + 11.5 * season + 3.5 * np.sin(2 * np.pi * (hour - 9) / 24)
    wind = 2.6 + 0.8 * np.sin(2 * np.pi * day / 365) + 0.3 * np.sin(2 * np.pi * hour / 24)
    return pd.DataFrame(
        {
            "ghi": ghi,
            "dni": dni,
            "dhi": dhi,
            "temp_air": temp.round(1),
            "wind_speed": wind.round(1),
        },
        index=starts,
    )


def write_epw(data: pd.DataFrame, path: Path) -> None:
    header = [
        f"LOCATION,Suzhou SYNTHETIC,Jiangsu,CHN,lingtan synthetic example,000000,"
        f"{LATITUDE},{LONGITUDE},{TZ:.1f},{ALTITUDE}",
        "DESIGN CONDITIONS,0",
        "TYPICAL/EXTREME PERIODS,0",
        "GROUND TEMPERATURES,0",
        "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0",
        "COMMENTS 1,SYNTHETIC weather made by examples/planning-synthetic.py - not measured data",
        "COMMENTS 2,clear-sky Ineichen (TL 3.5) x made-up daily clearness; Erbs split",
        "DATA PERIODS,1,1,Data,Wednesday, 1/ 1,12/31",
    ]
    lines = []
    for start, row in data.iterrows():
        end_hour = start.hour + 1
        fields = [
            start.year, start.month, start.day, end_hour, 0, "?9?9?9?9E0?9?9?9?9?9?9?9?9?9?9?9?9",
            row.temp_air, round(row.temp_air - 6, 1), 70, 101300, 9999, 9999, 9999,
            int(row.ghi), int(row.dni), int(row.dhi), 999999, 999999, 999999, 9999,
            180, row.wind_speed, 5, 5, 9999, 99999, 9, 999999999, 999, 0.999, 999, 99, 0.2, 0, 0,
        ]  # fmt: skip
        lines.append(",".join(map(str, fields)))
    path.write_text("\n".join(header + lines) + "\n", encoding="utf-8")


def _year() -> pd.DatetimeIndex:
    return pd.date_range("2025-01-01", periods=8760, freq="h", tz="Asia/Shanghai")


def _write(path: Path, column: str, values: np.ndarray) -> None:
    stamps = _year().strftime("%Y-%m-%dT%H:%M%z").str.replace(r"(\d\d)$", r":\1", regex=True)
    text = f"timestamp,{column}\n" + "".join(
        f"{t},{v:g}\n" for t, v in zip(stamps, values, strict=True)
    )
    path.write_text(text, encoding="utf-8")


def write_load(path: Path) -> None:
    starts = _year()
    sunday = starts.day_of_week == 6
    shift = (starts.hour >= 6) & (starts.hour < 22)
    _write(path, "load_kw", np.where(sunday, 300.0, np.where(shift, 1000.0, 400.0)))


def write_heat(path: Path) -> None:
    starts = _year()
    working = (starts.day_of_week != 6) & (starts.hour >= 6) & (starts.hour < 22)
    winter = starts.month.isin([12, 1, 2])
    _write(path, "heat_kw", np.where(working, 500.0, 150.0) + np.where(winter, 200.0, 0.0))


if __name__ == "__main__":
    write_epw(weather(), HERE / "planning-weather-synthetic.epw")
    write_load(HERE / "planning-load-synthetic.csv")
    write_heat(HERE / "planning-heat-synthetic.csv")
