META
key;value
description;Ordinal sample: rankings
country;Kazakhstan
unit;Demo district
instance;2026
num_projects;3
num_votes;4
budget;60
vote_type;ordinal
rule;greedy
PROJECTS
project_id;cost
x;30
y;30
z;20
VOTES
voter_id;vote
1;x,y,z
2;z,y
3;y
4;z,x
