/*  Validity windows of one tariff line never overlap: a failure means a line has two rates in
    force on the same day, so every as-of figure for it would be double counted.
    returns: the overlapping pairs of windows */

select
    earlier.schedule_id,
    earlier.national_line_code,
    earlier.valid_from_date as earlier_valid_from_date,
    later.valid_from_date as later_valid_from_date
from marts.fct_tariff_timeline as earlier
inner join marts.fct_tariff_timeline as later
    on
        earlier.schedule_id = later.schedule_id
        and earlier.national_line_code = later.national_line_code
        and earlier.valid_from_date < later.valid_from_date
        and (earlier.valid_to_date is null or earlier.valid_to_date > later.valid_from_date)
