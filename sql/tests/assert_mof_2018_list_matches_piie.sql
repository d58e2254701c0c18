/*  China's official MOF list of 2 April 2018 and PIIE's 2018-04-02 column name the same lines
    at the same rates. A failure lists every disagreement: a line on one side only, or a rate
    that differs.
    returns: the HS8 lines where the two sources disagree */

select
    int_mof_list_compared_to_piie.hs8_code,
    int_mof_list_compared_to_piie.comparison,
    int_mof_list_compared_to_piie.mof_rate_pct,
    int_mof_list_compared_to_piie.piie_rate_pct
from intermediate.int_mof_list_compared_to_piie
where int_mof_list_compared_to_piie.comparison <> 'agrees'
