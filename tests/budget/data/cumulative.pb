META
key;value
description;Cumulative sample: 10 points per voter
country;Kazakhstan
unit;Demo district
instance;2026
num_projects;4
num_votes;5
budget;1000,5
vote_type;cumulative
rule;greedy
max_sum_points;10
PROJECTS
project_id;cost;name
p1;400;Library corner
p2;300.5;Bus shelter
p3;500;Skate park
p4;200;Trees
VOTES
voter_id;vote;points
v1;p1,p2;7,3
v2;p3;10
v3;p3,p4;5,5
v4;p2,p4,p1;4,4,2
v5;p4;10
