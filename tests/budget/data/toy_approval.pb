META
key;value
description;"Toy district: centre vs outskirts; pb-anchors 2.4"
country;Kazakhstan
unit;Demo district
instance;2026
num_projects;5
num_votes;10
budget;100
vote_type;approval
rule;equalshares
date_begin;01.10.2026
date_end;15.10.2026
currency;KZT (millions)
PROJECTS
project_id;cost;name;category
A;40;"Park; lighting";greenery
B;35;Benches;public space
C;25;"Say ""hello"" wall";culture
D;30;Playground;sport
E;30;Sidewalk;roads
VOTES
voter_id;vote;age;sex
1;A,B,C;34;F
2;A,B,C;41;M
3;A,B,C;29;F
4;A,B,C;52;M
5;A,B,C;63;F
6;A,B,C;19;M
7;D,E;38;F
8;D,E;45;M
9;D,E;27;F
10;D,E;33;M
